import Foundation

/// What one explained test image adds to an explain run's output: the text or JSON line it
/// prints, the files it writes, and with `--global` its values for the aggregate. A sharded run
/// (ranks of `mpirun`, or `--shard K/N` jobs) computes these apart and writes them in image
/// order, so its output is exactly one process's.
public struct ExplainedImage: Codable, Equatable, Sendable {
    /// The image's place among the run's images (0 for `--index`'s image).
    public var position: Int
    /// What it prints to standard output (empty with `--global`).
    public var output = ""
    /// The PNG and HTML files it writes.
    public var files: [File] = []
    /// With `--global`: one record per method.
    public var records: [GlobalRecord] = []

    /// A file the image's explanation writes: its path and bytes.
    public struct File: Codable, Equatable, Sendable {
        public var path: String
        public var data: Data

        public init(path: String, data: Data) {
            self.path = path
            self.data = data
        }
    }

    /// One method's explanation of the image, as ``GlobalExplanation/add(target:values:pixelMap:intensities:)`` takes it.
    public struct GlobalRecord: Codable, Equatable, Sendable {
        public var method: String
        public var target: Int
        public var values: [Double]
        public var pixelMap: [Double]
        public var intensities: [Double]

        public init(method: String, target: Int, values: [Double], pixelMap: [Double], intensities: [Double]) {
            self.method = method
            self.target = target
            self.values = values
            self.pixelMap = pixelMap
            self.intensities = intensities
        }
    }

    public init(position: Int) { self.position = position }

    /// Images as JSON, doubles exact (as rank 0 receives a round of them).
    public static func encode(_ images: [ExplainedImage]) throws -> Data {
        try ExplainShardFile.encoder.encode(images)
    }

    /// - Parameters:
    ///   - data: what ``encode(_:)`` wrote.
    ///   - source: where the bytes came from, for errors.
    /// - Throws: ``GlassboxError/malformedFile(path:offset:reason:)`` naming what is wrong.
    public static func decode(_ data: Data, source: String) throws -> [ExplainedImage] {
        do { return try ExplainShardFile.decoder.decode([ExplainedImage].self, from: data) } catch {
            throw GlassboxError.malformedFile(path: source, offset: nil, reason: "not a list of explained images: \(DecodingErrorText.describe(error))")
        }
    }
}

/// What every image of an explain run shares and the aggregate needs.
public struct ExplainRun: Codable, Equatable, Sendable {
    public var classNames: [String]
    public var width: Int
    public var height: Int
    /// How many images the run explains (over all its shards).
    public var images: Int

    public init(classNames: [String], width: Int, height: Int, images: Int) {
        self.classNames = classNames
        self.width = width
        self.height = height
        self.images = images
    }
}
