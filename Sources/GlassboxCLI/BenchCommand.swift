import ArgumentParser
import Foundation
import Glassbox

/// `glassbox bench`: speed measurements (benchmarks, never tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed.",
        subcommands: [KernelBenchCommand.self, TrainingBenchCommand.self, PredictBenchCommand.self, ExplainBenchCommand.self]
    )
}

/// `glassbox bench kernels`: GFLOP/s of GEMM and Conv2D at the reference CNN's shapes, per backend,
/// optionally beside a peer's figures for the same cases (numpy's BLAS, from `bench/numpy_gemm.py`).
struct KernelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "GFLOP/s of GEMM and Conv2D at the reference CNN's shapes, for each backend."
    )

    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "Comma-separated backends to measure: reference, opencl.")
    var backends = "reference,opencl"

    @Option(help: "Timed runs per case (the best is reported); the reference backend runs once.")
    var repeats = 10

    @Option(help: "A JSON object of peer GFLOP/s by case name (from bench/numpy_gemm.py), shown as a ratio.")
    var peer: String?

    @Option(help: "text or json.")
    var format = "text"

    func validate() throws {
        try FlagRange.check(repeats, FlagRange.repeats, flag: "--repeats")
        guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json (got \(format))") }
        let names = backends.split(separator: ",").map(String.init)
        guard !names.isEmpty, names.allSatisfy({ ["reference", "opencl"].contains($0) }) else {
            throw ValidationError("--backends takes reference and/or opencl (got \(backends))")
        }
    }

    func run() throws {
        var peerFigures: [String: Double] = [:]
        if let peer {
            do {
                try FileStatus.requireRegularFile(peer, expected: "a JSON file")
                let data = try Data(contentsOf: URL(fileURLWithPath: peer))
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw ValidationError("--peer \(peer): expected a JSON object of case name to GFLOP/s")
                }
                for (name, value) in object {
                    guard let number = (value as? NSNumber)?.doubleValue, number.isFinite, number > 0 else {
                        throw ValidationError("--peer \(peer): the figure of '\(name)' must be a positive number of GFLOP/s (got \(value))")
                    }
                    peerFigures[name] = number
                }
            } catch let error as ValidationError {
                throw error
            } catch let error as GlassboxError {
                throw ValidationError("--peer: \(error)")
            } catch {
                throw ValidationError("--peer \(peer): not a JSON object (\(error.localizedDescription))")
            }
        }
        var rows: [KernelBenchmark.Result] = []
        for name in backends.split(separator: ",") {
            let backend: any Backend
            if name == "reference" {
                backend = CPUBackend()
            } else {
                let choice = try deviceOptions.choice()
                guard let device = try (choice == .auto || choice == .cpu ? DeviceChoice.opencl : choice).resolve().device else {
                    throw ValidationError("no OpenCL device for --backends opencl")
                }
                backend = try OpenCLBackend(device: device)
                if let platform = (backend as? OpenCLBackend)?.device.platformVersion {
                    FileHandle.standardError.write(Data("platform: \(platform)\n".utf8))
                }
                FileHandle.standardError.write(Data("kernels: \(kernelParameters(backend))\n".utf8))
            }
            let benchmark = KernelBenchmark(backend: backend, repeats: name == "reference" ? 1 : repeats)
            rows += try benchmark.runAll { FileHandle.standardError.write(Data("  \($0)\n".utf8)) }
            printProfile(backend)
        }
        if format == "json" {
            let objects = rows.map { row -> [String: Any] in
                var object: [String: Any] = ["case": row.name, "backend": row.backend, "milliseconds": row.seconds * 1000,
                                             "gflops": row.gflops]
                if let peerValue = peerFigures[row.name] { object["peer_gflops"] = peerValue; object["ratio"] = row.gflops / peerValue }
                return object
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let header = ["case", "backend", "ms", "GFLOP/s"] + (peerFigures.isEmpty ? [] : ["peer GFLOP/s", "ratio"])
        var table = [header]
        for row in rows {
            var cells = [row.name, row.backend, String(format: "%.3f", row.seconds * 1000), String(format: "%.1f", row.gflops)]
            if !peerFigures.isEmpty {
                if let peerValue = peerFigures[row.name] {
                    cells += [String(format: "%.1f", peerValue), String(format: "%.2f", row.gflops / peerValue)]
                } else {
                    cells += ["-", "-"]
                }
            }
            table.append(cells)
        }
        let widths = header.indices.map { column in table.map { $0[column].count }.max()! }
        for (index, cells) in table.enumerated() {
            print("| " + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |")
            if index == 0 { print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|") }
        }
    }
}
