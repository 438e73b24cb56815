import Foundation

/// Pictures of attributions like `shap.image_plot`: the input (gray or in colour), then one panel
/// per explanation with the attribution overlaid on a faint gray version of the input in a diverging colour map (red raises the target's
/// output, blue lowers it, white is zero), scaled symmetrically to the panel's largest magnitude,
/// with a colour bar under it.
public enum AttributionImage {
    /// An RGB picture, row-major, 3 bytes per pixel.
    public struct Picture: Equatable, Sendable {
        public let width: Int
        public let height: Int
        public var rgb: [UInt8]
        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
            rgb = [UInt8](repeating: 255, count: width * height * 3)
        }
        public mutating func set(_ x: Int, _ y: Int, _ color: (Double, Double, Double)) {
            let i = (y * width + x) * 3
            rgb[i] = UInt8(max(0, min(255, (color.0 * 255).rounded())))
            rgb[i + 1] = UInt8(max(0, min(255, (color.1 * 255).rounded())))
            rgb[i + 2] = UInt8(max(0, min(255, (color.2 * 255).rounded())))
        }
    }

    /// The diverging colour of `t` in [-1, 1]: blue (0.12, 0.53, 0.9) at -1, white at 0, red
    /// (1, 0.05, 0.34) at +1, close to shap's `red_transparent_blue` end colours.
    public static func color(_ t: Double) -> (Double, Double, Double) {
        let v = max(-1, min(1, t))
        let end: (Double, Double, Double) = v >= 0 ? (1.0, 0.05, 0.34) : (0.12, 0.53, 0.9)
        let a = abs(v)
        return (1 + (end.0 - 1) * a, 1 + (end.1 - 1) * a, 1 + (end.2 - 1) * a)
    }

    /// The input panel followed by one overlay panel per pixel map.
    /// - Parameters:
    ///   - input: the image, `width x height` intensities in [0, 1], or `width x height x 3` RGB
    ///     values (NHWC).
    ///   - width: the image's width in pixels.
    ///   - height: the image's height in pixels.
    ///   - maps: per-pixel attributions, one array of `width x height` per panel.
    ///   - scale: screen pixels per image pixel.
    public static func render(input: [Float], width: Int, height: Int, maps: [[Double]], scale: Int = 8) -> Picture {
        let gap = 8, bar = 10
        let panelWidth = width * scale, panelHeight = height * scale
        var picture = Picture(width: gap + (panelWidth + gap) * (1 + maps.count), height: gap + panelHeight + gap + bar + gap)
        let channels = input.count == width * height * 3 ? 3 : 1
        let luminance = ImageFile.luminance(input, channels: channels)
        for y in 0..<panelHeight {
            for x in 0..<panelWidth {
                let p = (y / scale) * width + x / scale
                let color = channels == 3 ? (Double(input[3 * p]), Double(input[3 * p + 1]), Double(input[3 * p + 2]))
                    : (Double(input[p]), Double(input[p]), Double(input[p]))
                picture.set(gap + x, gap + y, color)
            }
        }
        for (panel, map) in maps.enumerated() {
            let left = gap + (panelWidth + gap) * (panel + 1)
            let largest = map.map(abs).max() ?? 0
            for y in 0..<panelHeight {
                for x in 0..<panelWidth {
                    let p = (y / scale) * width + x / scale
                    let gray = 0.35 + 0.3 * Double(luminance[p])   // the input, faint, under the colour
                    let t = largest > 0 ? map[p] / largest : 0
                    let c = color(t), a = min(1, abs(t) * 1.2)
                    picture.set(left + x, gap + y, (gray * (1 - a) + c.0 * a, gray * (1 - a) + c.1 * a, gray * (1 - a) + c.2 * a))
                }
            }
            for x in 0..<panelWidth {
                let c = color(Double(x) / Double(max(panelWidth - 1, 1)) * 2 - 1)
                for y in 0..<bar { picture.set(left + x, gap + panelHeight + gap + y, c) }
            }
        }
        return picture
    }

    /// The picture as PNG bytes.
    public static func png(_ picture: Picture) throws -> Data {
        try PNG.encodeRGB(width: picture.width, height: picture.height, rgb: picture.rgb)
    }
}
