import Foundation

/// Pictures of attributions like `shap.image_plot`: the input (gray or in colour), then one panel
/// per explanation with the attribution overlaid on a faint gray version of the input in a diverging colour map (red raises the target's
/// output, blue lowers it, white is zero), scaled symmetrically to the panel's largest magnitude,
/// with a colour bar under it; the labelled render titles each panel, writes the bar's range and
/// hatches the segments whose confidence interval contains 0.
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

    /// The input panel followed by one overlay panel per pixel map, unlabelled: the layout of
    /// earlier releases (each panel `width x scale` wide, an 8-pixel gap, a colour bar whose range
    /// is not written). ``render(input:width:height:panels:scale:intervalLevel:)`` draws the same
    /// panels with titles, the colour bar's range and hatching for unsettled signs.
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
        drawInput(input, width: width, height: height, scale: scale, at: gap, gap, into: &picture)
        for (panel, map) in maps.enumerated() {
            let left = gap + (panelWidth + gap) * (panel + 1)
            drawOverlay(Panel(title: "", map: map), input: input, width: width, height: height, scale: scale, at: left, gap, into: &picture)
            drawColourBar(at: left, gap + panelHeight + gap, width: panelWidth, height: bar, into: &picture)
        }
        return picture
    }

    /// One overlay panel of ``render(input:width:height:panels:scale:intervalLevel:)``.
    public struct Panel: Sendable {
        /// Drawn above the panel, e.g. the method's name.
        public var title: String
        /// One attribution per pixel, `width x height`, row-major.
        public var map: [Double]
        /// One flag per pixel, `width x height`, row-major: true where the pixel's segment has a
        /// confidence interval that contains 0 (its sign is not settled), drawn hatched; nil for
        /// no hatching.
        public var uncertain: [Bool]?

        public init(title: String, map: [Double], uncertain: [Bool]? = nil) {
            self.title = title; self.map = map; self.uncertain = uncertain
        }

        /// The panel of `explanation`: titled with its method, its pixel map, and its segments'
        /// intervals at `level` hatched where they contain 0. No hatching without standard errors,
        /// without a segmentation, or when the segmentation does not match the values (a method
        /// that attributes to pixels only). A zero-width interval (an exact method) is never
        /// hatched, not even at a value of exactly 0: its sign is no guess.
        public init(_ explanation: Explanation, segmentation: Segmentation?, level: Double) {
            self.init(title: explanation.method, map: explanation.pixelMap)
            guard let segmentation, segmentation.count == explanation.values.count,
                  segmentation.segmentOfPixel.count == explanation.pixelMap.count,
                  let interval = explanation.interval(level: level) else { return }
            let unsettled = zip(interval.low, interval.high).map { $0 <= 0 && $1 >= 0 && $0 < $1 }
            uncertain = segmentation.segmentOfPixel.map { unsettled[$0] }
        }
    }

    /// Screen pixels between hatch lines: a pixel at (x, y) from the panel's top-left corner lies
    /// on a hatch line when `(x + y)` is a multiple of it.
    public static let hatchSpacing = 4
    /// The hatch lines' colour: dark gray, because the overlay's underlay is itself mid-gray.
    public static let hatchColour = (0.1, 0.1, 0.1)

    /// The input panel, titled `input`, followed by `panels`, each titled above and with its
    /// colour bar under it, labelled with the symmetric range the panel uses (`-m`, `0`, `+m`,
    /// `m` the panel's largest |value|, three significant digits). Pixels flagged `uncertain` get
    /// diagonal hatch lines (``hatchSpacing``, ``hatchColour``), and when any pixel is hatched a
    /// legend under the strip says `hatched: 95% interval contains 0`.
    ///
    /// Titles and labels are drawn with `PixelFont` at twice its size when a panel is at least
    /// 160 screen pixels wide, at its size otherwise; a column widens to fit its title and
    /// labels, its colour bar spanning the column and its panel centred.
    /// - Parameters:
    ///   - input: the image, `width x height` intensities in [0, 1], or `width x height x 3` RGB
    ///     values (NHWC).
    ///   - width: the image's width in pixels.
    ///   - height: the image's height in pixels.
    ///   - panels: the overlays; every `map` and `uncertain` holds `width x height` entries.
    ///   - scale: screen pixels per image pixel.
    ///   - intervalLevel: the level of the intervals behind `uncertain`, for the legend.
    public static func render(input: [Float], width: Int, height: Int, panels: [Panel], scale: Int = 8,
                              intervalLevel: Double = 0.95) -> Picture {
        for panel in panels {
            precondition(panel.map.count == width * height && (panel.uncertain?.count ?? width * height) == width * height,
                         "a panel needs \(width * height) map values and flags for a \(width)x\(height) image")
        }
        let panelWidth = width * scale, panelHeight = height * scale
        let text = panelWidth >= 160 ? 2 : 1, lineHeight = PixelFont.glyphHeight * text
        let gap = 8 * text, bar = 10, labelGap = 3 * text
        let labels = panels.map { rangeLabels(largest: $0.map.map(abs).max() ?? 0) }
        var columns = [max(panelWidth, PixelFont.width(of: "input", scale: text))]
        for (panel, label) in zip(panels, labels) {
            let labelsWidth = PixelFont.width(of: label.0, scale: text) + PixelFont.width(of: label.1, scale: text)
                + PixelFont.width(of: label.2, scale: text) + 4 * labelGap
            columns.append(max(panelWidth, PixelFont.width(of: panel.title, scale: text), labelsWidth))
        }
        let hatched = panels.contains { $0.uncertain?.contains(true) ?? false }
        let legend = "hatched: \(String(format: "%g", intervalLevel * 100))% interval contains 0"
        let panelTop = gap + lineHeight + labelGap, barTop = panelTop + panelHeight + labelGap
        let labelTop = barTop + bar + labelGap
        let stripBottom = panels.isEmpty ? panelTop + panelHeight + gap : labelTop + lineHeight + gap
        let swatch = lineHeight + 2
        let stripWidth = columns.reduce(gap) { $0 + $1 + gap }
        let legendWidth = hatched ? gap + swatch + 6 + PixelFont.width(of: legend, scale: text) + gap : 0
        var picture = Picture(width: max(stripWidth, legendWidth), height: stripBottom + (hatched ? swatch + gap : 0))
        var left = gap
        for (column, columnWidth) in columns.enumerated() {
            let panelLeft = left + (columnWidth - panelWidth) / 2
            PixelFont.draw(column == 0 ? "input" : panels[column - 1].title, at: left, gap, scale: text, into: &picture)
            if column == 0 {
                drawInput(input, width: width, height: height, scale: scale, at: panelLeft, panelTop, into: &picture)
            } else {
                drawOverlay(panels[column - 1], input: input, width: width, height: height, scale: scale, at: panelLeft, panelTop, into: &picture)
                drawColourBar(at: left, barTop, width: columnWidth, height: bar, into: &picture)
                let (low, zero, high) = labels[column - 1]
                PixelFont.draw(low, at: left, labelTop, scale: text, into: &picture)
                PixelFont.draw(zero, at: left + (columnWidth - PixelFont.width(of: zero, scale: text)) / 2, labelTop, scale: text, into: &picture)
                PixelFont.draw(high, at: left + columnWidth - PixelFont.width(of: high, scale: text), labelTop, scale: text, into: &picture)
            }
            left += columnWidth + gap
        }
        if hatched {
            for y in 0..<swatch {
                for x in 0..<swatch where (x + y) % hatchSpacing == 0 { picture.set(gap + x, stripBottom + y, hatchColour) }
            }
            PixelFont.draw(legend, at: gap + swatch + 6, stripBottom + 1, scale: text, into: &picture)
        }
        return picture
    }

    /// The colour bar's labels for a panel scaled to `largest`: `-m`, `0`, `+m` with `m` in
    /// `%.3g` and the exponent's padding dropped (`1.5e-5`, not `1.5e-05`); blank ends when
    /// `largest` is 0 (the whole panel is white).
    static func rangeLabels(largest: Double) -> (String, String, String) {
        guard largest > 0 else { return ("", "0", "") }
        let m = String(format: "%.3g", largest).replacingOccurrences(of: "e-0", with: "e-")
            .replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e")
        return ("-" + m, "0", "+" + m)
    }

    /// The image itself, `scale` screen pixels per image pixel, top-left at (`left`, `top`).
    static func drawInput(_ input: [Float], width: Int, height: Int, scale: Int, at left: Int, _ top: Int, into picture: inout Picture) {
        let rgb = input.count == width * height * 3
        for y in 0..<(height * scale) {
            for x in 0..<(width * scale) {
                let p = (y / scale) * width + x / scale
                let color = rgb ? (Double(input[3 * p]), Double(input[3 * p + 1]), Double(input[3 * p + 2]))
                    : (Double(input[p]), Double(input[p]), Double(input[p]))
                picture.set(left + x, top + y, color)
            }
        }
    }

    /// The panel's map over a faint gray copy of the input, scaled to the map's largest
    /// magnitude, with hatch lines over its uncertain pixels.
    static func drawOverlay(_ panel: Panel, input: [Float], width: Int, height: Int, scale: Int, at left: Int, _ top: Int,
                            into picture: inout Picture) {
        let luminance = ImageFile.luminance(input, channels: input.count == width * height * 3 ? 3 : 1)
        let largest = panel.map.map(abs).max() ?? 0
        for y in 0..<(height * scale) {
            for x in 0..<(width * scale) {
                let p = (y / scale) * width + x / scale
                if let uncertain = panel.uncertain, uncertain[p], (x + y) % hatchSpacing == 0 {
                    picture.set(left + x, top + y, hatchColour)
                    continue
                }
                let gray = 0.35 + 0.3 * Double(luminance[p])   // the input, faint, under the colour
                let t = largest > 0 ? panel.map[p] / largest : 0
                let c = color(t), a = min(1, abs(t) * 1.2)
                picture.set(left + x, top + y, (gray * (1 - a) + c.0 * a, gray * (1 - a) + c.1 * a, gray * (1 - a) + c.2 * a))
            }
        }
    }

    /// The diverging colour map from -1 (left) to +1 (right).
    static func drawColourBar(at left: Int, _ top: Int, width: Int, height: Int, into picture: inout Picture) {
        for x in 0..<width {
            let c = color(Double(x) / Double(max(width - 1, 1)) * 2 - 1)
            for y in 0..<height { picture.set(left + x, top + y, c) }
        }
    }

    /// The picture as PNG bytes.
    public static func png(_ picture: Picture) throws -> Data {
        try PNG.encodeRGB(width: picture.width, height: picture.height, rgb: picture.rgb)
    }
}
