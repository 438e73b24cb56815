import Foundation

/// One self-contained HTML page about one input: the input, the prediction and its
/// probabilities, each method's heatmap with its top segments, a metrics table and the deletion
/// and insertion curves. Images are embedded as `data:` URIs and the curves as inline SVG, so the
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
        var body = "<h1>\(escape(title))</h1>\n<div class=\"row\"><div>\(try image(AttributionImage.render(input: input, width: width, height: height, maps: [], scale: 8)))"
        body += "<p>predicted <b>\(escape(className(predicted)))</b> (\(String(format: "%.4f", probabilities[predicted])))</p></div>\n"
        body += "<table><tr><th>class</th><th>\(escape(outputName))</th></tr>\n"
        for (index, probability) in probabilities.enumerated() {
            let bar = Int((Double(probability) * 200).rounded())
            body += "<tr\(index == predicted ? " class=\"top\"" : "")><td>\(escape(className(index)))</td><td><span class=\"bar\" style=\"width:\(bar)px\"></span> \(String(format: "%.4f", probability))</td></tr>\n"
        }
        body += "</table></div>\n<h2>Attributions</h2>\n<p>Red raises the explained class's probability, blue lowers it; each panel is scaled to its own largest magnitude.</p>\n<div class=\"row\">\n"
        for explanation in explanations {
            body += "<figure>\(try image(AttributionImage.render(input: input, width: width, height: height, maps: [explanation.pixelMap], scale: 6)))"
            body += "<figcaption><b>\(escape(explanation.method))</b> for \(escape(className(explanation.target)))<br>"
            let top = explanation.values.indices.sorted { abs(explanation.values[$0]) > abs(explanation.values[$1]) }.prefix(5)
            body += top.map { "segment \($0): \(String(format: "%+.4f", explanation.values[$0]))" }.joined(separator: "<br>")
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
        figure { margin: 0; } figcaption { font-size: 13px; margin-top: 4px; }
        table { border-collapse: collapse; font-size: 14px; } td, th { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
        tr.top td { font-weight: bold; } .bar { display: inline-block; height: 10px; background: #ff0d57; }
        svg text { font-size: 12px; }
        </style></head><body>
        \(body)
        </body></html>
        """
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
