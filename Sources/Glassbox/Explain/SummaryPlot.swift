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
    /// and a row offset that stacks points falling in the same x bin, with their colour.
    static func beeswarm(_ global: GlobalExplanation, top: Int, bins: Int) -> (rows: [Int], largest: Double,
                                                                                 points: [(row: Int, x: Double, offset: Int, colour: Double)]) {
        let rows = global.ranking.prefix(top).map(\.segment)
        let largest = max(global.records.flatMap { record in rows.map { abs(record.values[$0]) } }.max() ?? 0, 1e-12)
        var points: [(row: Int, x: Double, offset: Int, colour: Double)] = []
        for (row, segment) in rows.enumerated() {
            var stacked = [Int: Int]()
            for record in global.records {
                let x = record.values[segment] / largest
                let bin = Int(((x + 1) / 2 * Double(bins - 1)).rounded())
                let count = stacked[bin, default: 0]
                stacked[bin] = count + 1
                // Alternate above and below the row's line: 0, +1, -1, +2, -2, ..., folded back
                // into the row when a bin is crowded.
                let spread = count % 11
                let offset = spread % 2 == 0 ? spread / 2 : -(spread + 1) / 2
                points.append((row, x, offset, record.intensities[segment]))
            }
        }
        return (rows, largest, points)
    }

    /// The beeswarm as SVG with segment labels and a value axis, for the HTML report.
    public static func beeswarmSVG(_ global: GlobalExplanation, top: Int = 20) -> String {
        let (rows, largest, points) = beeswarm(global, top: top, bins: 120)
        let rowHeight = 26.0, left = 110.0, plotWidth = 480.0
        let height = Double(rows.count) * rowHeight + 50
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(left + plotWidth + 40))\" height=\"\(Int(height))\">\n"
        let zero = left + plotWidth / 2
        svg += "<line x1=\"\(zero)\" y1=\"0\" x2=\"\(zero)\" y2=\"\(height - 40)\" stroke=\"#999\"/>\n"
        for (row, segment) in rows.enumerated() {
            let y = Double(row) * rowHeight + rowHeight / 2
            svg += "<text x=\"4\" y=\"\(y + 4)\">segment \(segment)</text><line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotWidth)\" y2=\"\(y)\" stroke=\"#eee\"/>\n"
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
        svg += "<text x=\"\(left)\" y=\"\(height - 4)\">value (impact on the explained class's output); colour: segment intensity, blue low, red high</text>\n"
        return svg + "</svg>\n"
    }

    /// The beeswarm as a picture (no text: the HTML report carries the labels).
    public static func beeswarmPicture(_ global: GlobalExplanation, top: Int = 20) -> AttributionImage.Picture {
        let (rows, _, points) = beeswarm(global, top: top, bins: 240)
        let rowHeight = 24, width = 480, margin = 8
        var picture = AttributionImage.Picture(width: width + 2 * margin, height: max(rows.count, 1) * rowHeight + 2 * margin)
        for y in 0..<picture.height { picture.set(margin + width / 2, y, (0.6, 0.6, 0.6)) }
        for point in points {
            let cx = margin + Int((point.x + 1) / 2 * Double(width - 1)), cy = margin + point.row * rowHeight + rowHeight / 2 + point.offset * 2
            let c = intensityColour(point.colour)
            for dy in -1...1 { for dx in -1...1 where cy + dy >= 0 && cy + dy < picture.height { picture.set(cx + dx, cy + dy, c) } }
        }
        return picture
    }

    /// Each class's mean attribution map in a grid, `columns` classes per row, all on one colour
    /// scale (red raises the class's output, blue lowers it); classes with no image stay white.
    public static func classGrid(_ global: GlobalExplanation, columns: Int = 5, scale: Int = 4) -> AttributionImage.Picture {
        let maps = (0..<global.classCount).map { global.meanPixelMap(ofClass: $0) }
        let largest = max(maps.flatMap { $0.map(abs) }.max() ?? 0, 1e-12)
        let gap = 6, panelWidth = global.width * scale, panelHeight = global.height * scale
        let rows = (global.classCount + columns - 1) / columns
        var picture = AttributionImage.Picture(width: gap + (panelWidth + gap) * columns, height: gap + (panelHeight + gap) * rows)
        for (index, map) in maps.enumerated() where global.imagesPerClass[index] > 0 {
            let left = gap + (panelWidth + gap) * (index % columns), top = gap + (panelHeight + gap) * (index / columns)
            for y in 0..<panelHeight {
                for x in 0..<panelWidth {
                    picture.set(left + x, top + y, AttributionImage.color(map[(y / scale) * global.width + x / scale] / largest))
                }
            }
        }
        return picture
    }
}
