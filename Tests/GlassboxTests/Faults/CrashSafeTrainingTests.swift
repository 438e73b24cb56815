import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox train` killed with SIGKILL at random moments, 20 times: the last checkpoint always
/// loads, and resuming always ends with exactly the weights of an uninterrupted run (CPU path).
/// Also: a checkpoint write that fails (file-size limit, as a full disk would) leaves the old
/// file intact and names the path.
final class CrashSafeTrainingTests: XCTestCase {
    var binary: URL {
        var folder = Bundle(for: Self.self).bundleURL
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("glassbox")
    }

    func dataset() throws -> URL {
        let folder = try IOFixtures.temporaryFolder(self, name: "glassbox-crash")
        var random = SeededGenerator(seed: 60)
        try IOFixtures.writeDataset(in: folder, trainLabels: (0..<24).map { _ in UInt8.random(in: 0..<10, using: &random) },
                                    testLabels: (0..<8).map { _ in UInt8.random(in: 0..<10, using: &random) }, rows: 10, columns: 10)
        return folder
    }

    @discardableResult
    func train(_ data: URL, out: URL, resume: Bool = false, killAfter seconds: Double? = nil,
               shellPrefix: String? = nil) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("glassbox binary not built") }
        var arguments = ["train", "--data", data.path, "--epochs", "4", "--out", out.path, "--device", "cpu"]
        // A resumed run takes its batch size and seed from the checkpoint (giving them is refused).
        arguments += resume ? ["--resume"] : ["--batch-size", "4", "--seed", "3"]
        let process = Process()
        if let shellPrefix {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shellPrefix + "; exec \"$0\" \"$@\"", binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        if let seconds {
            Thread.sleep(forTimeInterval: seconds)
            kill(process.processIdentifier, SIGKILL)
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    func parameters(_ url: URL) throws -> [String: [Float]] {
        try Safetensors.read(from: url).tensors.filter { $0.key.hasPrefix("layers.") || $0.key.hasPrefix("optimizer.") }
            .mapValues(\.values)
    }

    func testKilledTrainingAlwaysResumesToTheSameWeights() throws {
        let data = try dataset()
        let folder = data
        let straight = folder.appendingPathComponent("straight.safetensors")
        let start = Date()
        let run = try train(data, out: straight)
        XCTAssertEqual(run.status, 0, run.output)
        let duration = Date().timeIntervalSince(start)
        let expected = try parameters(straight)
        var random = SeededGenerator(seed: 61)
        var killedWithCheckpoint = 0
        for attempt in 0..<20 {
            let checkpoint = folder.appendingPathComponent("killed-\(attempt).safetensors")
            try train(data, out: checkpoint, killAfter: Double.random(in: 0.02...(duration * 1.1), using: &random))
            let exists = FileManager.default.fileExists(atPath: checkpoint.path)
            if exists {
                XCTAssertNoThrow(try Sequential.load(from: checkpoint), "attempt \(attempt): the checkpoint must load")
                killedWithCheckpoint += 1
            }
            let finish = try train(data, out: checkpoint, resume: exists)
            XCTAssertEqual(finish.status, 0, "attempt \(attempt): \(finish.output)")
            XCTAssertEqual(try parameters(checkpoint), expected, "attempt \(attempt): resumed weights differ from an uninterrupted run")
        }
        XCTAssertGreaterThan(killedWithCheckpoint, 0, "no kill landed after a checkpoint; the test did not test resuming")
    }

    /// `ulimit -f` makes writes past the limit fail (EFBIG), as a full disk fails them (ENOSPC).
    /// 512 KiB: less than this model's file (about 800 KB), more than ThreadSanitizer's runtime
    /// needs to start (measured: a `glassbox` built with it dies of SIGBUS at 200 KiB, starts at
    /// 255.5 KiB).
    func testFailedCheckpointWriteKeepsTheOldModel() throws {
        let data = try dataset()
        let model = data.appendingPathComponent("model.safetensors")
        let old = Data("previous model".utf8)
        try old.write(to: model)
        let run = try train(data, out: model, shellPrefix: "ulimit -f 1024")   // 1,024 blocks of 512 bytes
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.output.contains(model.path), run.output)
        XCTAssertEqual(try Data(contentsOf: model), old, "the old file must survive a failed write")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "no temporary file may be left behind")
    }
}
