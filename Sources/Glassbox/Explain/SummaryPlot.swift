import Foundation

/// Pictures of a ``GlobalExplanation``: a beeswarm of per-segment values coloured by the
/// segment's input intensity (as `shap.summary_plot`), and a grid of per-class mean attribution
/// maps.
public enum SummaryPlot {
    /// The blue-to-red colour of an intensity in [0, 1] (shap's summary plots: blue low, red high).
    static func intensityColour(_ t: Double) -> (Double, Double, Double) {
        let v = max(0, min(1, t))
        return (0.12 + (1 - 0.12) * v, 0.53 + (0.05 - 0.53) * v, 0.9 + (0.34 - 0.9) * v)
    }

    /// Points of the beeswarm: for the `top` segments by mean |value|, each image's value as x
    /// and a row offset that stacks points falling in the same x bin, with their colour. The axis
    /// ends at the 99th percentile of |value| over the plotted points, not their maximum, so that
    /// a handful of extreme values (DeepSHAP's softmax rule gives a few) do not squeeze every
    /// other point into the middle; points beyond it sit at the axis's ends.
    static func beeswarm(_ global: GlobalExplanation, top: Int, bins: Int) -> (rows: [Int], largest: Double,
                                                                                 points: [(row: Int, x: Double, offset: Int, colour: Double)]) {
        let rows = global.ranking.prefix(top).map(\.segment)
        let magnitudes = global.records.flatMap { record in rows.map { abs(record.values[$0]) } }.sorted()
        let largest = max(magnitudes.isEmpty ? 0 : magnitudes[min(magnitudes.count - 1, magnitudes.count * 99 / 100)], 1e-12)
        var points: [(row: Int, x: Double, offset: Int, colour: Double)] = []
        let colours = global.colourValues
        for (row, segment) in rows.enumerated() {
            var stacked = [Int: Int]()
            for (index, record) in global.records.enumerated() {
                let x = max(-1, min(1, record.values[segment] / largest))
                let bin = Int(((x + 1) / 2 * Double(bins - 1)).rounded())
                let count = stacked[bin, default: 0]
                stacked[bin] = count + 1
                // Alternate above and below the row's line: 0, +1, -1, +2, -2, ..., folded back
                // into the row when a bin is crowded.
                let spread = count % 11
                let offset = spread % 2 == 0 ? spread / 2 : -(spread + 1) / 2
                points.append((row, x, offset, colours[index][segment]))
            }
        }
        return (rows, largest, points)
    }

    /// The beeswarm as SVG with segment labels and a value axis, for the HTML report.
    public static func beeswarmSVG(_ global: GlobalExplanation, top: Int = 20) -> String {
        let (rows, largest, points) = beeswarm(global, top: top, bins: 120)
        let rowHeight = 26.0, plotWidth = 480.0
        let left = global.featureNames == nil ? 110.0 : 190.0
        let height = Double(rows.count) * rowHeight + 50
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(left + plotWidth + 40))\" height=\"\(Int(height))\">\n"
        let zero = left + plotWidth / 2
        svg += "<line x1=\"\(zero)\" y1=\"0\" x2=\"\(zero)\" y2=\"\(height - 40)\" stroke=\"#999\"/>\n"
        for (row, segment) in rows.enumerated() {
            let y = Double(row) * rowHeight + rowHeight / 2
            svg += "<text x=\"4\" y=\"\(y + 4)\">\(HTML.escape(global.segmentName(segment)))</text><line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotWidth)\" y2=\"\(y)\" stroke=\"#eee\"/>\n"
        }
        for point in points {
            let c = intensityColour(point.colour)
            let color = String(format: "#%02x%02x%02x", Int(c.0 * 255), Int(c.1 * 255), Int(c.2 * 255))
            let x = zero + point.x * plotWidth / 2, y = Double(point.row) * rowHeight + rowHeight / 2 + Double(point.offset) * 2.2
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%@\"/>", x, y, color as NSString)
        }
        svg += "\n<text x=\"\(left)\" y=\"\(height - 20)\">\(String(format: "%+.3g", -largest))</text>"
        svg += "<text x=\"\(zero - 4)\" y=\"\(height - 20)\">0</text>"
        svg += "<text x=\"\(left + plotWidth - 40)\" y=\"\(height - 20)\">\(String(format: "%+.3g", largest))</text>"
        svg += "<text x=\"\(left)\" y=\"\(height - 4)\">value (impact on the explained class's output); colour: \(global.featureNames == nil ? "segment intensity" : "feature value"), blue low, red high</text>\n"
        return svg + "</svg>\n"
    }

    /// The beeswarm as a picture, labelled like the SVG: a title, each row's segment, the value
    /// axis with its ends and zero, and the colour key.
    public static func beeswarmPicture(_ global: GlobalExplanation, top: Int = 20) -> AttributionImage.Picture {
        let (rows, largest, points) = beeswarm(global, top: top, bins: 240)
        let text = 2, lineHeight = PixelFont.glyphHeight * text, ink = (0.2, 0.2, 0.2)
        let rowHeight = 24, plotWidth = 480, margin = 8
        let labels = rows.map { global.segmentName($0) }
        let left = margin + max(labels.map { PixelFont.width(of: $0, scale: text) }.max() ?? 0, PixelFont.width(of: "segment 00", scale: text)) + 10
        let plotTop = margin + lineHeight + 10, plotHeight = max(rows.count, 1) * rowHeight
        let axis = plotTop + plotHeight + 4
        let caption = "value: impact on the explained class's output"
        let key = "colour: \(global.featureNames == nil ? "segment intensity" : "feature value"), low", keyEnd = "high"
        let keyBar = 96
        let width = max(left + plotWidth + margin, margin + PixelFont.width(of: caption, scale: text) + margin,
                        margin + PixelFont.width(of: key, scale: text) + 8 + keyBar + 8 + PixelFont.width(of: keyEnd, scale: text) + margin)
        var picture = AttributionImage.Picture(width: width, height: axis + 8 + 3 * (lineHeight + 8) + margin)
        let what = global.featureNames == nil ? ("images", "segments") : ("rows", "features")
        PixelFont.draw("\(global.method) over \(global.records.count) \(what.0), top \(rows.count) \(what.1)", at: margin, margin,
                       scale: text, color: ink, into: &picture)
        let zero = left + plotWidth / 2
        for y in plotTop..<(axis + 6) { picture.set(zero, y, (0.6, 0.6, 0.6)) }
        for (row, label) in labels.enumerated() {
            let y = plotTop + row * rowHeight + rowHeight / 2
            for x in left..<(left + plotWidth) { picture.set(x, y, (0.92, 0.92, 0.92)) }
            PixelFont.draw(label, at: margin, y - lineHeight / 2, scale: text, color: ink, into: &picture)
        }
        for point in points {
            let cx = left + Int((point.x + 1) / 2 * Double(plotWidth - 1))
            let cy = plotTop + point.row * rowHeight + rowHeight / 2 + point.offset * 2
            let c = intensityColour(point.colour)
            for dy in -1...1 { for dx in -1...1 where cy + dy >= plotTop && cy + dy < axis { picture.set(cx + dx, cy + dy, c) } }
        }
        // The value axis: a line, ticks at both ends and zero, their values under them.
        for x in left..<(left + plotWidth) { picture.set(x, axis, (0.4, 0.4, 0.4)) }
        let ticks = [(left, String(format: "%+.3g", -largest)), (zero, "0"), (left + plotWidth - 1, String(format: "%+.3g", largest))]
        for (x, label) in ticks {
            for y in axis..<(axis + 6) { picture.set(x, y, (0.4, 0.4, 0.4)) }
            let w = PixelFont.width(of: label, scale: text)
            PixelFont.draw(label, at: min(max(x - w / 2, margin), width - margin - w), axis + 8, scale: text, color: ink, into: &picture)
        }
        let captionTop = axis + 8 + lineHeight + 8
        PixelFont.draw(caption, at: margin, captionTop, scale: text, color: ink, into: &picture)
        let keyTop = captionTop + lineHeight + 8
        PixelFont.draw(key, at: margin, keyTop, scale: text, color: ink, into: &picture)
        let barLeft = margin + PixelFont.width(of: key, scale: text) + 8
        for x in 0..<keyBar {
            let c = intensityColour(Double(x) / Double(keyBar - 1))
            for y in keyTop..<(keyTop + lineHeight) { picture.set(barLeft + x, y, c) }
        }
        PixelFont.draw(keyEnd, at: barLeft + keyBar + 8, keyTop, scale: text, color: ink, into: &picture)
        return picture
    }

    /// Each class's mean attribution map in a grid, `columns` classes per row, all on one colour
    /// scale that saturates at the 99th percentile of |value| (red raises the class's output, blue
    /// lowers it), each under a label with its class and number of images; classes with no image
    /// stay white.
    /// - Parameters:
    ///   - global: the aggregated explanations.
    ///   - columns: classes per row.
    ///   - scale: screen pixels per image pixel.
    ///   - classNames: labels for the classes (e.g. Fashion-MNIST's); `class N` without.
    public static func classGrid(_ global: GlobalExplanation, columns: Int = 5, scale: Int = 4,
                                 classNames: [String] = []) -> AttributionImage.Picture {
        let maps = (0..<global.classCount).map { global.meanPixelMap(ofClass: $0) }
        // One colour scale for all classes, saturating at the 99th percentile of |value| over all
        // maps: a few extreme pixels would otherwise wash every other panel out.
        let magnitudes = maps.enumerated().filter { global.imagesPerClass[$0.offset] > 0 }.flatMap { $0.element.map(abs) }.sorted()
        let largest = max(magnitudes.isEmpty ? 0 : magnitudes[min(magnitudes.count - 1, magnitudes.count * 99 / 100)], 1e-12)
        let gap = 6, label = PixelFont.glyphHeight + 4
        let labels = (0..<global.classCount).map { c in
            "\(classNames.indices.contains(c) ? classNames[c] : "class \(c)"): \(global.imagesPerClass[c])"
        }
        let mapWidth = global.width * scale, panelHeight = global.height * scale
        let panelWidth = max(mapWidth, labels.map { PixelFont.width(of: $0) }.max() ?? 0)
        let rows = (global.classCount + columns - 1) / columns
        var picture = AttributionImage.Picture(width: gap + (panelWidth + gap) * columns, height: gap + (label + panelHeight + gap) * rows)
        for (index, map) in maps.enumerated() {
            let left = gap + (panelWidth + gap) * (index % columns), top = gap + (label + panelHeight + gap) * (index / columns) + label
            PixelFont.draw(labels[index], at: left, top - label, into: &picture)
            guard global.imagesPerClass[index] > 0 else { continue }
            for y in 0..<panelHeight {
                for x in 0..<mapWidth {
                    picture.set(left + x, top + y, AttributionImage.color(map[(y / scale) * global.width + x / scale] / largest))
                }
            }
        }
        return picture
    }
}
