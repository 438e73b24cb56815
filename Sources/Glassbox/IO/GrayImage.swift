import Foundation

/// An 8-bit grayscale image: what `glassbox explain` reads and the heatmap writers start from.
public struct GrayImage: Equatable, Sendable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `width * height` bytes, row-major from the top-left, 0 black to 255 white.
    public let pixels: [UInt8]

    /// An image from its pixels.
    ///
    /// Traps when `pixels.count != width * height` or a side is below 1: decoders check their
    /// input before calling this, so a mismatch is a programming error.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 1 && height >= 1, "image size \(width)x\(height) must be at least 1x1")
        precondition(pixels.count == width * height, "\(pixels.count) pixels for a \(width)x\(height) image")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Reads a PNG or PGM file, recognized by its first bytes (not by its name).
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when the file cannot be read;
    ///   ``GlassboxError/malformedFile(path:offset:reason:)`` for any other format, or for what
    ///   ``PNG/decodeGray(_:path:)`` and ``PGM/decode(_:path:)`` report.
    /// - Complexity: O(n) in the size of the image.
    public static func load(from url: URL) throws -> GrayImage {
        let data = try FileBytes.read(url)
        if PNG.hasSignature(data) { return try PNG.decodeGray(data, path: url.path) }
        if PGM.hasMagic(data) { return try PGM.decode(data, path: url.path) }
        throw GlassboxError.malformedFile(
            path: url.path, offset: 0,
            reason: "unrecognized image format (first bytes \(FileBytes.hex(data.prefix(8)))): accepted formats are "
                + "PNG (8-bit gray, gray+alpha, RGB or RGBA, not interlaced) and PGM (P5 binary or P2 ASCII)")
    }

    /// The pixels / 255, in 0...1, row-major: the layout of a `[1, height, width, 1]` tensor.
    public func floats() -> [Float] {
        pixels.map { Float($0) / 255 }
    }
}
