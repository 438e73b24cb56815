import Foundation

/// Reading an image file as a model's input: PNG or PGM, as one channel (gray) or three (RGB),
/// the pixel values divided by 255. The channel count is the model's, as Keras's `color_mode`:
/// a colour PNG read for a one-channel model becomes its luminance (``PNG/decodeGray(_:path:)``),
/// a gray image read for a three-channel model repeats its value in every channel.
public enum ImageFile {
    /// The image at `url` as `height x width x channels` values in 0...1 (row-major, NHWC).
    /// - Parameters:
    ///   - url: a PNG or PGM file (the format is read from its first bytes).
    ///   - channels: 1 or 3.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for another channel count;
    ///   what ``GrayImage/load(from:)`` throws for a file that is not a readable PNG or PGM.
    public static func load(from url: URL, channels: Int) throws -> (width: Int, height: Int, values: [Float]) {
        switch channels {
        case 1:
            let image = try GrayImage.load(from: url)
            return (image.width, image.height, image.floats())
        case 3:
            let data = try FileBytes.read(url)
            if PNG.hasSignature(data) {
                let image = try PNG.decodeRGB(data, path: url.path)
                return (image.width, image.height, image.rgb.map { Float($0) / 255 })
            }
            let image = try GrayImage.load(from: url)
            return (image.width, image.height, image.pixels.flatMap { pixel in [Float](repeating: Float(pixel) / 255, count: 3) })
        default:
            throw GlassboxError.invalidArgument(operation: "image", reason: "images are read with 1 (gray) or 3 (RGB) channels, not \(channels)")
        }
    }

    /// The Rec. 601 luminance of each pixel of RGB values (`0.299 R + 0.587 G + 0.114 B`); one
    /// channel is returned as it is.
    public static func luminance(_ values: [Float], channels: Int) -> [Float] {
        guard channels == 3 else { return values }
        return stride(from: 0, to: values.count, by: 3).map { 0.299 * values[$0] + 0.587 * values[$0 + 1] + 0.114 * values[$0 + 2] }
    }

    /// Whether the file at `url` is a colour PNG (RGB or RGBA), from its header.
    public static func isColor(_ url: URL) throws -> Bool {
        try PNG.isColor(try FileBytes.read(url), path: url.path)
    }
}
