import ArgumentParser
import Foundation
import Glassbox

/// What one explained test image adds to the run's output: the text or JSON line it prints,
/// the files it writes, and with `--global` its values for the aggregate. A sharded run (ranks
/// of `mpirun`, or `--shard K/N` jobs) computes these apart and writes them in image order, so
/// its output is exactly one process's.
struct ExplainedImage: Codable, Equatable {
    /// The image's place among the run's images (0 for `--index`'s image).
    var position: Int
    /// What it prints to standard output (empty with `--global`).
    var output = ""
    /// The PNG and HTML files it writes.
    var files: [File] = []
    /// With `--global`: one record per method.
    var records: [GlobalRecord] = []

    struct File: Codable, Equatable {
        var path: String
        var data: Data
    }

    /// One method's explanation of the image, as ``GlobalExplanation/add(target:values:pixelMap:intensities:)`` takes it.
    struct GlobalRecord: Codable, Equatable {
        var method: String
        var target: Int
        var values: [Double]
        var pixelMap: [Double]
        var intensities: [Double]
    }

    init(position: Int) { self.position = position }

    /// Images as JSON, doubles exact (as rank 0 receives a round of them).
    static func encode(_ images: [ExplainedImage]) throws -> Data {
        try ExplainShardFile.encoder.encode(images)
    }

    /// - Parameter source: where the bytes came from, for errors.
    static func decode(_ data: Data, source: String) throws -> [ExplainedImage] {
        do { return try ExplainShardFile.decoder.decode([ExplainedImage].self, from: data) } catch let error as DecodingError {
            throw GlassboxError.malformedFile(path: source, offset: nil, reason: "not a list of explained images: \(ExplainShardFile.describe(error))")
        }
    }
}

/// What every image of a run shares and the aggregate needs.
struct ExplainRun: Codable, Equatable {
    var classNames: [String]
    var width: Int
    var height: Int
    /// How many images the run explains (over all its shards).
    var images: Int
}

/// A `--shard K/N` job's part of a run, as `glassbox merge` reads it: the run's arguments (the
/// same in every part), which part it is, and its images' outputs.
struct ExplainShardFile: Codable {
    static let kindName = "glassbox-explain-shard"
    static let currentVersion = 1

    var kind = kindName
    var version = currentVersion
    /// `glassbox explain`'s arguments without `--shard` and `--shard-file`.
    var arguments: [String]
    var shard: Shard
    var run: ExplainRun
    var results: [ExplainedImage]

    /// JSON with sorted keys; doubles round-trip exactly, non-finite ones as strings.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    func encoded() throws -> Data { try Self.encoder.encode(self) }

    /// Decodes and checks a part: its kind, version and that it holds exactly the images of its
    /// shard, in order.
    /// - Parameter source: the file (or rank) it came from, for errors.
    static func decode(_ data: Data, source: String) throws -> ExplainShardFile {
        let file: ExplainShardFile
        do {
            file = try Self.decoder.decode(ExplainShardFile.self, from: data)
        } catch let error as DecodingError {
            throw GlassboxError.malformedFile(path: source, offset: nil, reason: "not a glassbox explain shard file: \(Self.describe(error))")
        }
        guard file.kind == kindName else {
            throw GlassboxError.malformedFile(path: source, offset: nil, reason: "kind '\(file.kind)' is not \(kindName)")
        }
        guard file.version == currentVersion else {
            throw GlassboxError.malformedFile(path: source, offset: nil, reason: "version \(file.version) is not \(currentVersion), the one this glassbox reads")
        }
        guard file.run.images >= 0, file.shard.count >= 1, (0..<file.shard.count).contains(file.shard.index) else {
            throw GlassboxError.malformedFile(path: source, offset: nil, reason: "shard \(file.shard.index)/\(file.shard.count) of \(file.run.images) images is not a part of a run")
        }
        let expected = Array(file.shard.range(of: file.run.images))
        guard file.results.map(\.position) == expected else {
            throw GlassboxError.malformedFile(path: source, offset: nil,
                reason: "shard \(file.shard) of \(file.run.images) images should hold images \(expected.first ?? 0)..<\((expected.last ?? -1) + 1) in order, "
                    + "but holds \(file.results.count) images (positions \(file.results.map(\.position).prefix(5).map(String.init).joined(separator: ", "))\(file.results.count > 5 ? ", ..." : ""))")
        }
        return file
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.isEmpty ? "the top level" : context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "'\(key.stringValue)' is missing at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// Writes a run's images in order, as one process does: each image's files and printed output,
/// the `--global` aggregate (stopping early once `--tolerance` is met), then its report.
struct ExplainEmitter {
    let command: ExplainCommand
    let run: ExplainRun
    private var globals: [String: GlobalExplanation] = [:]
    private var emitted = 0

    init(command: ExplainCommand, run: ExplainRun) {
        self.command = command
        self.run = run
    }

    /// Writes one image's outputs.
    /// - Returns: whether the run stops here (`--global --tolerance` is met).
    mutating func emit(_ image: ExplainedImage) throws -> Bool {
        for file in image.files { try AtomicFile.write(file.data, to: URL(fileURLWithPath: file.path)) }
        if !image.output.isEmpty {
            print(image.output)
            fflush(stdout)
        }
        for record in image.records {
            if globals[record.method] == nil {
                globals[record.method] = GlobalExplanation(method: record.method, width: run.width, height: run.height,
                                                           segmentCount: record.values.count, classCount: run.classNames.count)
            }
            try globals[record.method]!.add(target: record.target, values: record.values, pixelMap: record.pixelMap, intensities: record.intensities)
        }
        emitted += 1
        // --tolerance over images: stop once every method's ranking is settled enough.
        if command.global, let tolerance = command.tolerance, emitted < run.images,
           globals.values.allSatisfy({ $0.rankingConvergenceRatio <= tolerance }) {
            FileHandle.standardError.write(Data("explain: --global converged after \(emitted) images (tolerance \(tolerance))\n".utf8))
            return true
        }
        return false
    }

    /// Writes the `--global` aggregate, after the last image.
    func finish() throws {
        if command.global { try command.report(globals: command.methodNames.compactMap { globals[$0] }, classNames: run.classNames) }
    }
}

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
