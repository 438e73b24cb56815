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
