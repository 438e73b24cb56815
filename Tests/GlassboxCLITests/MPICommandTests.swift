#if MPI
import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `mpirun --oversubscribe -np N glassbox ...` on this machine (a build with the MPI trait:
/// scripts/test-mpi.sh): sharded explanations equal to one process's, data-parallel training
/// whose weights agree for N = 1, 2 and 3, and a killed rank that stops the job while its last
/// checkpoint stays good for `--resume` with another N.
final class MPICommandTests: ShardedExplainTestCase {
    func mpiExplain(ranks: Int, _ extra: [String]) throws -> Outputs {
        let folder = try newFolder()
        let result = try GlassboxBinary.mpiRun(ranks: ranks, try explainArguments(extra, folder: folder))
        XCTAssertEqual(result.status, 0, result.transcript)
        return Outputs(standardOutput: result.standardOutput, files: try files(in: folder))
    }

    func testShardedExplanationsEqualOneProcess() throws {
        let global = try single(Self.globalArguments), count = try single(Self.countArguments)
        for ranks in [2, 3] {
            try assertSameOutputs(try mpiExplain(ranks: ranks, Self.globalArguments), global, sameHTML: true, "--global over \(ranks) ranks")
            try assertSameOutputs(try mpiExplain(ranks: ranks, Self.countArguments), count, sameHTML: false, "--count over \(ranks) ranks")
        }
    }

    /// `--global --tolerance` over 3 ranks runs in rounds and stops where one process stops:
    /// the same outputs, and fewer images explained than `--count`.
    func testGlobalToleranceStopsEarlyOverRanks() throws {
        let arguments = ["--index", "0", "--count", "16", "--global", "--method", "saliency", "--tolerance", "0.5"]
        let reference = try single(arguments)
        let folder = try newFolder()
        let result = try GlassboxBinary.mpiRun(ranks: 3, try explainArguments(arguments, folder: folder))
        XCTAssertEqual(result.status, 0, result.transcript)
        try assertSameOutputs(Outputs(standardOutput: result.standardOutput, files: try files(in: folder)), reference, sameHTML: true, "3 ranks")
        let explained = result.standardError.components(separatedBy: "\n").filter { $0.hasPrefix("explaining test image") }.count
        XCTAssertLessThan(explained, 16, "the ranks stop once the ranking settles:\n\(result.transcript)")
    }

    /// `glassbox train` on N = 1 (no mpirun), 2 and 3 ranks: after an epoch of 6 steps (the
    /// last batch of 2 leaves the third rank without samples) the weights agree to 1e-4.
    func testDataParallelTrainingMatchesOneProcess() throws {
        let trained = try trainedModel()
        let folder = try newFolder()
        func train(ranks: Int) throws -> Sequential {
            let out = folder.appendingPathComponent("model-\(ranks).safetensors")
            let arguments = ["train", "--data", trained.data.path, "--epochs", "1", "--batch-size", "6", "--seed", "3", "--out", out.path]
            let result = ranks == 1 ? try GlassboxBinary.run(arguments) : try GlassboxBinary.mpiRun(ranks: ranks, arguments)
            XCTAssertEqual(result.status, 0, result.transcript)
            if ranks > 1 {
                XCTAssertTrue(result.standardOutput.contains("data-parallel over \(ranks) ranks"), result.transcript)
                // Ranks on PoCL split the machine's cores.
                let cores = max(1, ProcessInfo.processInfo.activeProcessorCount / ranks)
                if result.standardError.contains("backend opencl") {
                    XCTAssertEqual(result.standardError.components(separatedBy: ", \(cores) compute units").count, ranks + 1, result.transcript)
                }
                XCTAssertEqual(result.standardOutput.components(separatedBy: "test accuracy").count, 2, "rank 0 alone reports:\n\(result.transcript)")
            }
            return try Sequential.load(from: out)
        }
        let one = try train(ranks: 1)
        for ranks in [2, 3] {
            let model = try train(ranks: ranks)
            XCTAssertEqual(model.training?.step, one.training?.step)
            for (layer, tensors) in model.parameters.enumerated() {
                for (index, values) in tensors.enumerated() {
                    let error = relativeError(values, one.parameters[layer][index])
                    XCTAssertLessThan(error, 1e-4, "\(ranks) ranks: layer \(layer) parameter \(index)")
                }
            }
        }
    }

    /// kill -9 of rank 1 mid-training: mpirun stops rank 0 and exits non-zero within 60 s, the
    /// checkpoint rank 0 last wrote loads, and `--resume` on 3 ranks trains one more epoch.
    func testKilledRankStopsTheJobAndTheCheckpointResumes() throws {
        let trained = try trainedModel()
        let folder = try newFolder()
        let out = folder.appendingPathComponent("model.safetensors")
        let command = GlassboxBinary.mpiCommand(ranks: 2, ["train", "--data", trained.data.path, "--epochs", "500", "--batch-size", "4",
                                                           "--device", "cpu", "--out", out.path])
        let process = Process()
        process.executableURL = command.executable
        process.arguments = command.arguments
        process.environment = ProcessInfo.processInfo.environment.merging(command.environment) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let log = Log()
        errors.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // Rank 1 names its pid; rank 0 has written a checkpoint: then kill rank 1.
        var pid: Int32?
        let started = Date()
        while Date().timeIntervalSince(started) < 120 {
            if pid == nil, let range = log.text.range(of: #"rank 1 of 2 [^\n]*pid (\d+)"#, options: .regularExpression) {
                pid = Int32(log.text[range].split(separator: " ").last!.trimmingCharacters(in: .punctuationCharacters))
            }
            if pid != nil, FileManager.default.fileExists(atPath: out.path) { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let victim = try XCTUnwrap(pid, "rank 1 never named its pid:\n\(log.text)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path), "no checkpoint after 120 s:\n\(log.text)")
        XCTAssertTrue(process.isRunning, "the job ended before the kill:\n\(log.text)")
        let killed = Date()
        XCTAssertEqual(kill(victim, SIGKILL), 0)
        while process.isRunning && Date().timeIntervalSince(killed) < 60 { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertFalse(process.isRunning, "mpirun still runs 60 s after rank 1 was killed:\n\(log.text)")
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(log.text.contains("signal 9") || log.text.contains("Killed"), "the error names the killed rank:\n\(log.text)")

        let checkpoint = try Sequential.load(from: out)
        let done = try XCTUnwrap(checkpoint.training?.epochsCompleted)
        XCTAssertGreaterThanOrEqual(done, 1)
        XCTAssertLessThan(done, 500)
        let resumed = try GlassboxBinary.mpiRun(ranks: 3, ["train", "--data", trained.data.path, "--resume", "--epochs", String(done + 1),
                                                           "--device", "cpu", "--out", out.path])
        XCTAssertEqual(resumed.status, 0, resumed.transcript)
        XCTAssertTrue(resumed.standardOutput.contains("resuming"), resumed.transcript)
        XCTAssertEqual(try Sequential.load(from: out).training?.epochsCompleted, done + 1)
    }

    func testCommandsThatDoNotSplitRefuseSeveralRanks() throws {
        let trained = try trainedModel()
        let result = try GlassboxBinary.mpiRun(ranks: 2, ["summary", "--model", trained.model.path])
        XCTAssertNotEqual(result.status, 0, result.transcript)
        XCTAssertTrue(result.standardError.contains("summary does not run under mpirun"), result.transcript)
        // --shard is for jobs without mpirun: refused before any work.
        let sharded = try GlassboxBinary.mpiRun(ranks: 2, ["explain", "--model", trained.model.path, "--data", trained.data.path, "--device", "cpu",
                                                           "--index", "0", "--count", "2", "--global", "--shard", "0/2", "--shard-file", "part.json"])
        XCTAssertNotEqual(sharded.status, 0, sharded.transcript)
        XCTAssertTrue(sharded.standardError.contains("under mpirun the ranks already split the images"), sharded.transcript)
        XCTAssertFalse(sharded.standardError.contains("pid "), "no device opened before the refusal:\n\(sharded.transcript)")
        // Help prints once.
        let help = try GlassboxBinary.mpiRun(ranks: 2, ["help", "train"])
        XCTAssertEqual(help.status, 0, help.transcript)
        XCTAssertEqual(help.standardOutput.components(separatedBy: "USAGE:").count, 2, help.transcript)
    }

    /// Standard error as it arrives, read on another thread.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ more: Data) { lock.lock(); data.append(more); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }
}
#endif
