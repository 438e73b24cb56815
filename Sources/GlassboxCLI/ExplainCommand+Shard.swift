import ArgumentParser
import Foundation
import Glassbox

extension ExplainCommand {
    /// `--shard K/N`, parsed.
    func parsedShard() throws -> Shard? {
        guard let shard else { return nil }
        do { return try Shard(parsing: shard) } catch { throw ValidationError("\(error)") }
    }

    /// Checks `--shard` and `--shard-file` (they go together, on test images).
    func validateShard() throws {
        switch (shard, shardFile) {
        case (nil, nil): return
        case (nil, _): throw ValidationError("--shard-file goes with --shard K/N")
        case (_, nil): throw ValidationError("--shard K/N writes its part to a file: add --shard-file PATH (then `glassbox merge` the parts)")
        default: break
        }
        _ = try parsedShard()
        if Cluster.communicator.size > 1 {
            throw ValidationError("--shard K/N is for independent jobs; under mpirun the ranks already split the images (drop --shard and --shard-file)")
        }
        if image != nil { throw ValidationError("--shard splits test images (--index I --count N, or --global), not --image") }
        try FlagRange.checkPath(shardFile, flag: "--shard-file")
    }

    /// The arguments a part records for `glassbox merge`: this run's, without the subcommand,
    /// `--shard` and `--shard-file`.
    static func storedArguments(_ commandLine: [String] = CommandLine.arguments) -> [String] {
        var arguments = Array(commandLine.dropFirst())
        if arguments.first == "explain" { arguments.removeFirst() }
        var kept: [String] = [], skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == "--shard" || argument == "--shard-file" { skipNext = true; continue }
            if argument.hasPrefix("--shard=") || argument.hasPrefix("--shard-file=") { continue }
            kept.append(argument)
        }
        return kept
    }

    /// Explains the run's images where they belong: all of them here (writing as it goes); this
    /// part into `--shard-file`; or, under `mpirun`, this rank's part, gathered on rank 0, which
    /// writes them all in order.
    func runSharded(_ run: ExplainRun, explainImage: (Int) throws -> ExplainedImage) throws {
        let cluster = Cluster.communicator
        if let shard = try parsedShard(), let shardFile {
            let part = shard.range(of: run.images)
            let file = ExplainShardFile(arguments: Self.storedArguments(), shard: shard, run: run, results: try part.map(explainImage))
            try AtomicFile.write(try file.encoded(), to: URL(fileURLWithPath: shardFile))
            FileHandle.standardError.write(Data("explain: shard \(shard): images \(part.lowerBound)..<\(part.upperBound) of \(run.images) written to \(shardFile); `glassbox merge` the \(shard.count) parts\n".utf8))
            return
        }
        var emitter = ExplainEmitter(command: self, run: run)
        if cluster.size == 1 {
            for position in 0..<run.images where try emitter.emit(explainImage(position)) { break }
            return try emitter.finish()
        }
        let shard = Shard(index: cluster.rank, count: cluster.size)
        guard global, tolerance != nil else {
            let mine = ExplainShardFile(arguments: [], shard: shard, run: run, results: try shard.range(of: run.images).map(explainImage))
            let parts = try cluster.gather(try mine.encoded(), to: 0)
            guard cluster.isRoot else { return }
            ranks: for (rank, data) in parts.enumerated() {
                for image in try ExplainShardFile.decode(data, source: "rank \(rank)'s part").results where try emitter.emit(image) { break ranks }
            }
            return try emitter.finish()
        }
        // --global --tolerance: rounds of a few images per rank; after each, rank 0 writes them in
        // order and tells every rank whether the ranking has settled (at the image where one
        // process would stop).
        var start = 0, stop = false
        while start < run.images && !stop {
            let round = start..<min(start + cluster.size * Self.imagesPerRankPerRound, run.images)
            let mine = try shard.range(of: round.count).map { try explainImage(round.lowerBound + $0) }
            let parts = try cluster.gather(try ExplainedImage.encode(mine), to: 0)
            if cluster.isRoot {
                ranks: for (rank, data) in parts.enumerated() {
                    for image in try ExplainedImage.decode(data, source: "rank \(rank)'s part") where try emitter.emit(image) {
                        stop = true
                        break ranks
                    }
                }
            }
            var decision = Data([stop ? 1 : 0])
            try cluster.broadcast(&decision, from: 0)
            stop = decision.first == 1
            start = round.upperBound
        }
        if cluster.isRoot { try emitter.finish() }
    }

    /// Images each rank explains per round of a sharded `--global --tolerance` run: at most this
    /// many minus one per rank are explained past the image where the run stops.
    static let imagesPerRankPerRound = 2
}
