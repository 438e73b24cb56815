import Foundation

/// The attributions of one table row as horizontal bars, one per feature, largest |value| first
/// (as lime's `as_pyplot_figure` and shap's bar plots draw them): red bars raise the explained
/// output, blue ones lower it; each bar is labelled with the feature (its value in the row, or
/// LIME's rule) and its value.
public enum FeatureBarChart {
    /// The `top` features of `explanation` by |value|, labelled with `labels` (one per value).
    public static func picture(_ explanation: Explanation, labels: [String], top: Int = 10) -> AttributionImage.Picture {
        let order = explanation.values.indices.sorted { abs(explanation.values[$0]) > abs(explanation.values[$1]) }.prefix(top)
        let text = 2, lineHeight = PixelFont.glyphHeight * text, margin = 8, rowHeight = lineHeight + 10, barWidth = 320
        let ink = (0.2, 0.2, 0.2)
        let names = order.map { labels.indices.contains($0) ? labels[$0] : "feature \($0)" }
        let left = margin + (names.map { PixelFont.width(of: $0, scale: text) }.max() ?? 0) + 12
        let largest = max(order.map { abs(explanation.values[$0]) }.max() ?? 0, 1e-12)
        let title = "\(explanation.method): class \(explanation.target), top \(order.count) features"
        let valueWidth = PixelFont.width(of: "+0.0000", scale: text)
        let width = max(left + barWidth + 12 + valueWidth + margin, margin + PixelFont.width(of: title, scale: text) + margin)
        var picture = AttributionImage.Picture(width: width, height: margin + lineHeight + 12 + order.count * rowHeight + margin)
        PixelFont.draw(title, at: margin, margin, scale: text, color: ink, into: &picture)
        let zero = left + barWidth / 2
        for (row, (feature, name)) in zip(order, names).enumerated() {
            let top = margin + lineHeight + 12 + row * rowHeight
            PixelFont.draw(name, at: margin, top + 2, scale: text, color: ink, into: &picture)
            let value = explanation.values[feature]
            let length = Int((abs(value) / largest * Double(barWidth / 2 - 2)).rounded())
            let colour = AttributionImage.color(value >= 0 ? 1 : -1)
            let (x0, x1) = value >= 0 ? (zero, zero + length) : (zero - length, zero)
            for y in (top + 1)..<(top + lineHeight + 3) { for x in x0...x1 { picture.set(x, y, colour) } }
            for y in top..<(top + rowHeight - 4) { picture.set(zero, y, (0.5, 0.5, 0.5)) }
            PixelFont.draw(String(format: "%+.4f", value), at: left + barWidth + 12, top + 2, scale: text, color: ink, into: &picture)
        }
        return picture
    }
}
