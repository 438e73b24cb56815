import Foundation

/// One self-contained HTML page about one input: the input, the prediction and its
/// probabilities, each method's heatmap with its top segments, a metrics table and the deletion
/// and insertion curves. Where a method reports standard errors, its heatmap hatches the segments
/// whose confidence interval contains 0, and a ranking of its top segments draws each interval as
/// an error bar, with a sentence on which signs and which top-k sets the intervals settle.
/// Images are embedded as `data:` URIs and the curves as inline SVG, so the
/// page needs nothing else. It carries only the input being explained: never training images.
public struct ExplanationReport {
    public var title: String
    public var input: [Float]
    public var width: Int
    public var height: Int
    public var probabilities: [Float]
    public var classNames: [String]
    public var explanations: [Explanation]
    /// Deletion and insertion curves per method name, when measured.
    public var faithfulness: [String: ExplanationMetrics.Faithfulness]
    /// What the model's outputs are, for the table's heading: `probability` for a softmax head,
    /// `score` otherwise.
    public var outputName = "probability"
    /// The level of the confidence intervals drawn and reasoned about (``Explanation/interval(level:)``).
    public var confidenceLevel = 0.95
    /// How the input was cut into the segments the values belong to: needed to hatch a heatmap's
    /// uncertain segments; without it the heatmaps are not hatched (the rankings still are drawn).
    public var segmentation: Segmentation?

    public init(title: String, input: [Float], width: Int, height: Int, probabilities: [Float], classNames: [String],
                explanations: [Explanation], faithfulness: [String: ExplanationMetrics.Faithfulness]) {
        self.title = title; self.input = input; self.width = width; self.height = height
        self.probabilities = probabilities; self.classNames = classNames; self.explanations = explanations
        self.faithfulness = faithfulness
    }

    func className(_ index: Int) -> String { classNames.indices.contains(index) ? classNames[index] : "class \(index)" }

    /// The page.
    public func html() throws -> String {
        let escape = HTML.escape
        func image(_ picture: AttributionImage.Picture) throws -> String {
            "<img alt=\"\" src=\"data:image/png;base64,\(try AttributionImage.png(picture).base64EncodedString())\">"
        }
        let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        var body = "<h1>\(escape(title))</h1>\n<div class=\"row\"><div>\(try image(AttributionImage.render(input: input, width: width, height: height, panels: [], scale: 8)))"
        body += "<p>predicted <b>\(escape(className(predicted)))</b> (\(String(format: "%.4f", probabilities[predicted])))</p></div>\n"
        body += "<table><tr><th>class</th><th>\(escape(outputName))</th></tr>\n"
        for (index, probability) in probabilities.enumerated() {
            let bar = Int((Double(probability) * 200).rounded())
            body += "<tr\(index == predicted ? " class=\"top\"" : "")><td>\(escape(className(index)))</td><td><span class=\"bar\" style=\"width:\(bar)px\"></span> \(String(format: "%.4f", probability))</td></tr>\n"
        }
        body += "</table></div>\n<h2>Attributions</h2>\n<p>Red raises the explained class's probability, blue lowers it; each panel is scaled to its own largest magnitude, written under its colour bar."
        body += " Hatched segments have a \(escape(percent(confidenceLevel))) confidence interval that contains 0: their sign is not settled. The bars rank the largest segments, with their intervals as error bars.</p>\n<div class=\"row\">\n"
        for explanation in explanations {
            let panel = AttributionImage.Panel(explanation, segmentation: segmentation, level: confidenceLevel)
            body += "<figure>\(try image(AttributionImage.render(input: input, width: width, height: height, panels: [panel], scale: 6, intervalLevel: confidenceLevel)))"
            body += "<figcaption><b>\(escape(explanation.method))</b> for \(escape(className(explanation.target)))"
            if !explanation.values.isEmpty {
                body += "<br>" + rankingSVG(explanation) + "<br><span class=\"settled\">\(escape(uncertaintySentence(explanation)))</span>"
            }
            body += "</figcaption></figure>\n"
        }
        body += "</div>\n<h2>Metrics</h2>\n<table><tr><th>method</th><th>base value</th><th>prediction</th><th>efficiency gap</th><th>deletion AUC</th><th>insertion AUC</th><th>other</th><th>evaluations</th><th>seconds</th></tr>\n"
        for explanation in explanations {
            let curves = faithfulness[explanation.method]
            let other = explanation.metrics.keys.sorted().filter { !["deletion_auc", "insertion_auc"].contains($0) }.map { "\($0) \(String(format: "%.4g", explanation.metrics[$0]!))" }.joined(separator: ", ")
            body += "<tr><td>\(escape(explanation.method))</td><td>\(String(format: "%.4f", explanation.baseValue))</td><td>\(String(format: "%.4f", explanation.prediction))</td>"
            body += "<td>\(explanation.values.isEmpty ? "-" : String(format: "%.2e", explanation.efficiencyGap))</td>"
            body += "<td>\(curves.map { String(format: "%.4f", $0.deletionArea) } ?? "-")</td><td>\(curves.map { String(format: "%.4f", $0.insertionArea) } ?? "-")</td>"
            body += "<td>\(escape(other))</td><td>\(explanation.samples)</td><td>\(String(format: "%.3f", explanation.seconds))</td></tr>\n"
        }
        body += "</table>\n"
        if !faithfulness.isEmpty {
            body += "<h2>Deletion and insertion curves</h2>\n<p>The explained class's probability as segments are removed (deletion, solid) or added (insertion, dashed) in order of attribution.</p>\n"
            body += curvesSVG()
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; }
        .row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
        figure { margin: 0; } figcaption { font-size: 13px; margin-top: 4px; max-width: 440px; }
        table { border-collapse: collapse; font-size: 14px; } td, th { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
        tr.top td { font-weight: bold; } .bar { display: inline-block; height: 10px; background: #ff0d57; }
        svg text { font-size: 12px; }
        </style></head><body>
        \(body)
        </body></html>
        """
    }

    /// `level` as a percentage: `95%`, `99.9%`.
    func percent(_ level: Double) -> String { String(format: "%g%%", level * 100) }

    /// The segments of `values` by |value|, largest first (ties in segment order).
    static func ranked(_ values: [Double]) -> [Int] {
        values.indices.sorted { abs(values[$0]) != abs(values[$1]) ? abs(values[$0]) > abs(values[$1]) : $0 < $1 }
    }

    /// Whether each interval `low[i]...high[i]` excludes 0, so that the sign of value i is settled
    /// at the interval's level.
    public static func signSettled(low: [Double], high: [Double]) -> [Bool] {
        zip(low, high).map { $0 > 0 || $1 < 0 }
    }

    /// The top `k` segments by |value|, largest first, each with whether its place in the top k is
    /// settled: the smallest |value| its interval allows (0 when the interval contains 0, else
    /// `min(|low|, |high|)`) exceeds the largest |value| (`max(|low|, |high|)`) allowed to every
    /// segment outside the top k. With `k` at least the number of segments every place is settled.
    /// - Parameters:
    ///   - values: one value per segment.
    ///   - low: the intervals' lower ends, one per value.
    ///   - high: the intervals' upper ends, one per value.
    ///   - k: the size of the top set.
    public static func settledPlaces(values: [Double], low: [Double], high: [Double], k: Int) -> [(segment: Int, settled: Bool)] {
        let order = ranked(values)
        let top = order.prefix(max(k, 0)), rest = order.dropFirst(max(k, 0))
        let largestOutside = rest.map { max(abs(low[$0]), abs(high[$0])) }.max() ?? -.infinity
        return top.map { i in
            let smallest = low[i] <= 0 && high[i] >= 0 ? 0 : min(abs(low[i]), abs(high[i]))
            return (i, smallest > largestOutside)
        }
    }

    /// Whether the set of the top `k` segments by |value| is settled: every member's place is
    /// (``settledPlaces(values:low:high:k:)``), so no segment outside could, within the
    /// intervals, outrank one inside.
    public static func settled(values: [Double], low: [Double], high: [Double], k: Int) -> Bool {
        settledPlaces(values: values, low: low, high: high, k: k).allSatisfy(\.settled)
    }

    /// What the intervals of `explanation` settle, in words: which segments' signs, and whether
    /// the top 1, 3 and 5 (those no larger than the number of segments) are settled sets; or that
    /// the method has no standard errors, or that its values are exact.
    func uncertaintySentence(_ explanation: Explanation) -> String {
        guard let errors = explanation.standardErrors, let interval = explanation.interval(level: confidenceLevel) else {
            return "No standard errors: how far sampling moved these values is unknown."
        }
        if errors.allSatisfy({ $0 == 0 }) { return "The values are exact (standard errors 0): every sign and rank is settled." }
        let values = explanation.values, level = percent(confidenceLevel)
        let signs = Self.signSettled(low: interval.low, high: interval.high)
        let settled = Self.ranked(values).filter { signs[$0] }
        func list(_ segments: [Int]) -> String {
            let shown = segments.prefix(12).map(String.init).joined(separator: ", ")
            return segments.count > 12 ? "\(shown) and \(segments.count - 12) more" : shown
        }
        var sentence = settled.isEmpty ? "No segment's sign is settled (every \(level) interval contains 0)."
            : "Sign settled (\(level) interval excludes 0) for \(settled.count) of \(values.count) segments: \(list(settled))."
        let tops = [1, 3, 5].filter { $0 <= values.count }.map { k in
            "top \(k) \(Self.settled(values: values, low: interval.low, high: interval.high, k: k) ? "settled" : "not settled")"
        }
        if !tops.isEmpty { sentence += " Ranking: " + tops.joined(separator: ", ") + "." }
        return sentence
    }

    /// The top segments (up to 10) by |value| as horizontal bars from 0 (red positive, blue
    /// negative), each with its interval at ``confidenceLevel`` as an error bar (a line from low
    /// to high with end ticks, class `errorbar`), all on one symmetric scale.
    func rankingSVG(_ explanation: Explanation) -> String {
        let values = explanation.values
        let order = Self.ranked(values).prefix(10)
        let interval = explanation.interval(level: confidenceLevel)
        let low = interval?.low ?? values, high = interval?.high ?? values
        let largest = max(order.map { max(abs(low[$0]), abs(high[$0]), abs(values[$0])) }.max() ?? 0, 1e-300)
        let (labelWidth, plotWidth, valueWidth, rowHeight) = (76.0, 260.0, 76.0, 18.0)
        let zero = labelWidth + plotWidth / 2
        func x(_ v: Double) -> String { String(format: "%.1f", zero + v / largest * (plotWidth / 2 - 4)) }
        let height = Double(order.count) * rowHeight + 8
        var svg = "<svg class=\"ranking\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + plotWidth + valueWidth))\" height=\"\(Int(height))\">\n"
        svg += "<line x1=\"\(zero)\" y1=\"0\" x2=\"\(zero)\" y2=\"\(height)\" stroke=\"#999\"/>\n"
        for (row, segment) in order.enumerated() {
            let top = 4 + Double(row) * rowHeight, middle = top + rowHeight / 2
            let value = values[segment]
            let (from, to) = value >= 0 ? (zero, Double(x(value))!) : (Double(x(value))!, zero)
            svg += "<text x=\"0\" y=\"\(middle + 4)\">segment \(segment)</text>"
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", from, top + 3, to - from, rowHeight - 6)
            svg += " fill=\"\(value >= 0 ? "#ff0d57" : "#1e88e5")\"/>"
            if let interval, interval.high[segment] > interval.low[segment] {
                let (a, b) = (x(interval.low[segment]), x(interval.high[segment]))
                svg += "<g class=\"errorbar\" stroke=\"#222\"><line x1=\"\(a)\" y1=\"\(middle)\" x2=\"\(b)\" y2=\"\(middle)\"/>"
                svg += "<line x1=\"\(a)\" y1=\"\(middle - 5)\" x2=\"\(a)\" y2=\"\(middle + 5)\"/><line x1=\"\(b)\" y1=\"\(middle - 5)\" x2=\"\(b)\" y2=\"\(middle + 5)\"/></g>"
            }
            svg += "<text x=\"\(labelWidth + plotWidth + 4)\" y=\"\(middle + 4)\">\(String(format: "%+.3g", value))</text>\n"
        }
        return svg + "</svg>"
    }

    /// The curves of every method on one set of axes.
    func curvesSVG() -> String {
        let (w, h, margin) = (520.0, 300.0, 40.0)
        let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w + 160))\" height=\"\(Int(h))\">\n"
        svg += "<line x1=\"\(margin)\" y1=\"\(h - margin)\" x2=\"\(w)\" y2=\"\(h - margin)\" stroke=\"#444\"/><line x1=\"\(margin)\" y1=\"10\" x2=\"\(margin)\" y2=\"\(h - margin)\" stroke=\"#444\"/>\n"
        svg += "<text x=\"\(margin)\" y=\"\(h - 12)\">0</text><text x=\"\(w - 30)\" y=\"\(h - 12)\">all segments</text><text x=\"4\" y=\"16\">1.0</text><text x=\"4\" y=\"\(h - margin)\">0.0</text>\n"
        for (index, name) in faithfulness.keys.sorted().enumerated() {
            let curves = faithfulness[name]!
            let color = palette[index % palette.count]
            for (curve, dash) in [(curves.deletion, ""), (curves.insertion, " stroke-dasharray=\"5,4\"")] {
                let points = curve.enumerated().map { i, v in
                    String(format: "%.1f,%.1f", margin + (w - margin) * Double(i) / Double(max(curve.count - 1, 1)), (h - margin) - (h - margin - 10) * max(0, min(1, v)))
                }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(points)\"/>\n"
            }
            svg += "<text x=\"\(w + 10)\" y=\"\(24 + 18 * index)\" fill=\"\(color)\">\(name)</text>\n"
        }
        return svg + "</svg>\n"
    }
}
