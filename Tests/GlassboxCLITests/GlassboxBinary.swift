import Foundation
import XCTest

/// The built `glassbox` executable, run as a user would run it.
enum GlassboxBinary {
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String
        /// Both streams, for failure messages.
        var transcript: String { "status \(status)\n--- stdout\n\(standardOutput)--- stderr\n\(standardError)" }
    }

    private final class BundleMarker {}

    /// The executable beside the test bundle in the build folder.
    static var url: URL {
        var folder = Bundle(for: BundleMarker.self).bundleURL
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("glassbox")
    }

    /// Runs `glassbox arguments` with `GLASSBOX_DEVICE` unset unless `extra` sets it, stdin empty
    /// and stdout a pipe (not a terminal).
    /// - Throws: `XCTSkip` when the binary has not been built.
    static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        try run(executable: url, arguments, environment: extra)
    }

    /// Runs `/bin/sh -c command` (which runs the binary, by ``url``) with the same environment as
    /// ``run(_:environment:)``: for limits such as `ulimit -f` that only a shell sets.
    static func runShell(_ command: String, environment extra: [String: String] = [:]) throws -> Result {
        try run(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", command], environment: extra)
    }

    /// `mpirun`'s options and environment for a test job of `ranks` ranks on this machine, as root
    /// too (Open MPI refuses root without `OMPI_ALLOW_RUN_AS_ROOT`): what `mpiRun` and tests that
    /// start `mpirun` themselves use.
    static func mpiCommand(ranks: Int, _ arguments: [String]) -> (executable: URL, arguments: [String], environment: [String: String]) {
        (URL(fileURLWithPath: "/usr/bin/mpirun"), ["--oversubscribe", "-np", String(ranks), url.path] + arguments,
         ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none"])
    }

    /// Runs `mpirun -np ranks glassbox arguments` on this machine.
    /// - Throws: `XCTSkip` when `mpirun` or the binary is missing.
    static func mpiRun(ranks: Int, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let command = mpiCommand(ranks: ranks, arguments)
        guard FileManager.default.isExecutableFile(atPath: command.executable.path) else { throw XCTSkip("no mpirun (Debian: openmpi-bin)") }
        return try run(executable: command.executable, command.arguments, environment: command.environment.merging(extra) { $1 })
    }

    private static func run(executable: URL, _ arguments: [String], environment extra: [String: String]) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw XCTSkip("glassbox binary not built at \(url.path); run `swift build` first")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "GLASSBOX_DEVICE")
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
                      standardError: String(decoding: errData, as: UTF8.self))
    }
}
