import Foundation
import Glassbox

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
