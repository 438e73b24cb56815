import Foundation

/// A `glassbox explain --shard K/N` job's part of a run, as `glassbox merge` reads it: the run's
/// arguments (the same in every part), which part it is, and its images' outputs.
public struct ExplainShardFile: Codable, Equatable, Sendable {
    public static let kindName = "glassbox-explain-shard"
    public static let currentVersion = 1
    /// The most values a part's `--global` aggregate may hold per method (classes x (pixels +
    /// 2 x segments)), 2^27 doubles (1 GiB): far above any image model's, far below what a
    /// corrupt header could ask for.
    public static let maximumAggregateValues = 1 << 27

    public var kind = kindName
    public var version = currentVersion
    /// `glassbox explain`'s arguments without `--shard` and `--shard-file`.
    public var arguments: [String]
    public var shard: Shard
    public var run: ExplainRun
    public var results: [ExplainedImage]

    public init(arguments: [String], shard: Shard, run: ExplainRun, results: [ExplainedImage]) {
        self.arguments = arguments
        self.shard = shard
        self.run = run
        self.results = results
    }

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

    /// The part as JSON (what `--shard-file` holds).
    public func encoded() throws -> Data { try Self.encoder.encode(self) }

    /// Reads and checks the part at `path`.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when it is missing, not a regular
    ///   file or unreadable; otherwise as ``decode(_:source:)``.
    public static func read(path: String) throws -> ExplainShardFile {
        try decode(try FileBytes.read(URL(fileURLWithPath: path)), source: path)
    }

    /// Decodes and checks a part: its kind and version; that its shard is a part of its run and
    /// it holds exactly that shard's images, in order; and that its `--global` records fit the
    /// run's image size and classes.
    /// - Parameters:
    ///   - data: the part's JSON.
    ///   - source: the file (or rank) it came from, for errors.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming what is wrong.
    public static func decode(_ data: Data, source: String) throws -> ExplainShardFile {
        func malformed(_ reason: String) -> GlassboxError { .malformedFile(path: source, offset: nil, reason: reason) }
        let file: ExplainShardFile
        do {
            file = try Self.decoder.decode(ExplainShardFile.self, from: data)
        } catch {
            throw malformed("not a glassbox explain shard file: \(DecodingErrorText.describe(error))")
        }
        guard file.kind == kindName else { throw malformed("kind '\(file.kind)' is not \(kindName)") }
        guard file.version == currentVersion else {
            throw malformed("version \(file.version) is not \(currentVersion), the one this glassbox reads")
        }
        // The decoder fills `Shard` without its initializer's checks.
        let shard = file.shard, run = file.run
        guard run.images >= 0, (1...Shard.maximumCount).contains(shard.count), (0..<shard.count).contains(shard.index) else {
            throw malformed("shard \(shard.index)/\(shard.count) of \(run.images) images is not a part of a run")
        }
        let expected = shard.range(of: run.images)
        guard file.results.count == expected.count, zip(file.results, expected).allSatisfy({ $0.position == $1 }) else {
            let positions = file.results.prefix(5).map { String($0.position) }.joined(separator: ", ")
            throw malformed("shard \(shard) of \(run.images) images should hold images \(expected.lowerBound)..<\(expected.upperBound) in order, "
                + "but holds \(file.results.count) images (positions \(positions)\(file.results.count > 5 ? ", ..." : ""))")
        }
        guard run.width >= 1, run.height >= 1, case let (pixels, overflow) = run.width.multipliedReportingOverflow(by: run.height), !overflow else {
            throw malformed("an image of \(run.width)x\(run.height) pixels")
        }
        for image in file.results {
            for record in image.records {
                let place = "image \(image.position), method '\(record.method)'"
                guard run.classNames.indices.contains(record.target) else {
                    throw malformed("\(place): target class \(record.target) is not one of the run's \(run.classNames.count) classes")
                }
                guard record.pixelMap.count == pixels, record.intensities.count == record.values.count else {
                    throw malformed("\(place): \(record.pixelMap.count) pixel values and \(record.intensities.count) intensities for "
                        + "\(record.values.count) segments of a \(run.width)x\(run.height) image")
                }
                // Each term comes from arrays the file holds, so none overflows.
                guard run.classNames.count * (pixels + 2 * record.values.count) <= maximumAggregateValues else {
                    throw malformed("\(place): \(run.classNames.count) classes of \(pixels) pixels and \(record.values.count) segments "
                        + "need more than \(maximumAggregateValues) values to aggregate")
                }
            }
        }
        return file
    }
}
