import ArgumentParser
import Foundation
import Glassbox

/// `glassbox merge`: joins the parts of a `glassbox explain --shard K/N` run and writes what the
/// run writes as one process (its printed output, PNG and HTML files, and `--global` aggregate).
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge",
        abstract: "Join the parts of an explain run split with --shard K/N, writing what one process writes.")

    @Argument(help: "The parts' --shard-file files, in any order: parts 0 to N-1 of one run, each once.")
    var parts: [String] = []

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("give the --shard-file files of every part of the run") }
        for part in parts { try FlagRange.checkPath(part, flag: "part") }
    }

    func run() throws {
        let files = try reportingErrors { try parts.map(ExplainShardFile.read(path:)) }
        let first = files[0]
        for (path, file) in zip(parts, files).dropFirst() {
            guard file.arguments == first.arguments, file.run == first.run, file.shard.count == first.shard.count else {
                throw CommandFailure(message: "merge: \(path) is a part of another run than \(parts[0]) "
                    + (file.shard.count != first.shard.count ? "(\(file.shard.count) parts, not \(first.shard.count))" : "(its explain arguments or images differ)"))
            }
        }
        var byIndex: [Int: String] = [:]
        for (path, file) in zip(parts, files) {
            if let other = byIndex[file.shard.index] {
                throw CommandFailure(message: "merge: \(other) and \(path) are both part \(file.shard)")
            }
            byIndex[file.shard.index] = path
        }
        let missing = (0..<first.shard.count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw CommandFailure(message: "merge: missing part\(missing.count == 1 ? "" : "s") "
                + missing.prefix(10).map { "\($0)/\(first.shard.count)" }.joined(separator: ", ") + (missing.count > 10 ? ", ..." : "")
                + " of the run (given \(files.count) of \(first.shard.count))")
        }
        let command: ExplainCommand
        do { command = try ExplainCommand.parse(first.arguments) } catch {
            throw CommandFailure(message: "merge: the explain arguments recorded in \(parts[0]) do not parse: \(ExplainCommand.message(for: error))")
        }
        let results = files.sorted { $0.shard.index < $1.shard.index }.flatMap(\.results)
        // The parts are this run's inputs: no output may replace one.
        let outputs = results.flatMap { $0.files.map { OutputFiles.Entry(flag: $0.path.lowercased().hasSuffix(".png") ? "--png" : "--report", path: $0.path) } }
            + (command.global ? command.plannedOutputs(suffixes: [], methods: command.methodNames) : [])
        try checkOutputs(outputs, inputs: parts.map { OutputFiles.Entry(flag: "part", path: $0) })
        try reportingErrors {
            var emitter = ExplainEmitter(command: command, run: first.run)
            for image in results where try emitter.emit(image) { break }
            try emitter.finish()
        }
    }
}
