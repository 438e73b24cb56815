import ArgumentParser
import Foundation
import Glassbox

extension ExplainCommand {
    /// The methods that explain a table's rows, features as columns.
    static let tableMethods = ["exact", "kernel", "permutation", "lime", "deep", "saliency", "gradient-input",
                               "integrated-gradients", "gradient-shap"]
    /// The methods whose coalitions take absent features from every background row (shap's
    /// `Independent` masker); the gradient methods get the background's mean row as baseline.
    static let backgroundMethods: Set<String> = ["exact", "kernel", "permutation"]

    func validateTable() throws {
        if index != nil { throw ValidationError("--index picks a test image; for a table (--data \(data!)) give --row I") }
        if image != nil { throw ValidationError("--image is for image models; for a table give --data FILE.csv --row I") }
        if row == nil && !global { throw ValidationError("give --row I: the row of \(data!) to explain (0 = the first data row)") }
        if let row { try FlagRange.check(row, FlagRange.index, flag: "--row") }
        try FlagRange.check(count, FlagRange.count, flag: "--count")
        if let background { try FlagRange.check(background, 1...1_000_000, flag: "--background") }
        if let numFeatures { try FlagRange.check(numFeatures, 1...64, flag: "--num-features") }
        if let samples { try FlagRange.check(samples, ExplanationRequest.sampleRange, flag: "--samples") }
        if let noise { try FlagRange.check(noise, FlagRange.noise, flag: "--noise") }
        if segments != "grid:4" { throw ValidationError("--segments does not apply to a table: its features are its columns") }
        if baseline != "zero" { throw ValidationError("--baseline does not apply to a table: absent features come from the --background rows") }
        if stability > 0 || seedConsistency { throw ValidationError("--stability and --seed-consistency are for images; not yet for tables") }
        if target != "predicted" && Int(target) == nil { throw ValidationError("--target must be 'predicted' or a class index (got \(target))") }
        let names = methodNames
        if let unknown = names.first(where: { !Self.tableMethods.contains($0) }) {
            throw ValidationError("--method \(unknown) does not explain tables (for tables: \(Self.tableMethods.joined(separator: ", ")))")
        }
        if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw ValidationError("--method lists \(repeated) more than once")
        }
        try checkOutputNames()
        for (path, flag) in [(png, "--png"), (report, "--report")] { try FlagRange.checkPath(path, flag: flag) }
    }

    /// `explain --data file.csv --row I`: each method's attribution to every feature of the row,
    /// with a background of the file's rows; with `--global`, mean |value| per feature and the
    /// summary plot over the rows.
    func explainTable(model: Sequential, data: String) throws {
        let (file, schema, (rows, raw, labels)) = try TableRows.load(for: model, data: data, operation: "explain")
        let f = schema.featureNames.count, n = rows.count / f
        let range = try checkedRange(first: row ?? 0, count: count, available: n, what: "row")
        let methods = methodNames
        var plannedOutputs: [OutputFiles.Entry] = []
        let suffixes = range.map { range.count > 1 ? "-\($0)" : "" }
        if global {
            for method in methods {
                let suffix = methods.count > 1 ? "-\(method)" : ""
                plannedOutputs += png.map { [OutputFiles.Entry(flag: "--png", path: Self.suffixed($0, suffix + "-summary"))] } ?? []
                plannedOutputs += report.map { [OutputFiles.Entry(flag: "--report", path: Self.suffixed($0, suffix))] } ?? []
            }
        } else {
            plannedOutputs = suffixes.flatMap { suffix in
                (png.map { [OutputFiles.Entry(flag: "--png", path: Self.suffixed($0, suffix))] } ?? [])
                    + (report.map { [OutputFiles.Entry(flag: "--report", path: Self.suffixed($0, suffix))] } ?? [])
            }
        }
        let readFiles = [OutputFiles.Entry(flag: "--model", path: modelOptions.model)]
            + (data == TabularFile.breastCancerName ? [] : [OutputFiles.Entry(flag: "--data", path: data)])
        try checkOutputs(plannedOutputs, inputs: readFiles)

        // The background: rows drawn without replacement (seeded); it stays inside the run.
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<n)
        order.shuffle(using: &generator)
        let backgroundRows = order.prefix(min(background ?? 100, n)).sorted().map { Array(rows[($0 * f)..<(($0 + 1) * f)]) }
        let backgroundFlat = Array(backgroundRows.joined())
        let meanRow = (0..<f).map { j in backgroundRows.reduce(Float(0)) { $0 + $1[j] } / Float(backgroundRows.count) }
        let segmentation = try Segmentation(width: f, height: 1, segmentOfPixel: Array(0..<f))
        let knownNames = model.classNames ?? file.classNames ?? []
        let classNames = (0..<model.outputCount).map { knownNames.indices.contains($0) ? knownNames[$0] : "class \($0)" }
        let shown = min(numFeatures ?? 10, f)
        let backend = try deviceOptions.backend()
        try reportingErrors {
            let session = try InferenceSession(model: model, backend: backend)
            let explainers: [any Explainer] = try methods.map { name in
                switch name {
                case "lime":
                    let mean = schema.mean, scale = schema.scale
                    return try LimeTabular(training: rows, featureNames: schema.featureNames, numFeatures: shown,
                                           toRaw: { feature, value in value * Double(scale[feature]) + Double(mean[feature]) })
                default:
                    return try ExplanationMethods.make(name, background: backgroundRows, noise: noise,
                                                               deepOutput: DeepShap.Output(rawValue: deepOutput)!)
                }
            }
            var globals: [String: GlobalExplanation] = [:]
            for (position, index) in range.enumerated() {
                if range.count > 1, global, (position + 1) % max(1, range.count / 20) == 0 || position + 1 == range.count {
                    FileHandle.standardError.write(Data("explaining row \(index) (\(position + 1)/\(range.count))\n".utf8))
                }
                let input = Array(rows[(index * f)..<((index + 1) * f)]), rawRow = Array(raw[(index * f)..<((index + 1) * f)])
                let probabilities = try session.predict(input)
                let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                // A global view explains one class for every row (the last: the positive class of
                // a binary table), so that its values share a sign convention; one row, the predicted.
                let targetClass = target != "predicted" ? Int(target)! : global ? model.outputCount - 1 : predicted
                var explanations: [Explanation] = []
                for (name, explainer) in zip(methods, explainers) {
                    var request = try ExplanationRequest(session: session, input: input,
                                                         baseline: Self.backgroundMethods.contains(name) ? backgroundFlat : meanRow,
                                                         segmentation: segmentation, target: targetClass, samples: samples, seed: seed)
                    request.tolerance = tolerance
                    var explanation = try explainer.explain(request)
                    explanation.metrics["background_size"] = Double(Self.backgroundMethods.contains(name) || name == "deep" ? backgroundRows.count : 1)
                    if global {
                        if globals[name] == nil {
                            var g = GlobalExplanation(method: explanation.method, width: f, height: 1, segmentCount: f, classCount: model.outputCount)
                            g.featureNames = schema.featureNames
                            globals[name] = g
                        }
                        try globals[name]!.add(explanation, input: rawRow, segmentation: segmentation)
                    } else {
                        explanations.append(explanation)
                    }
                }
                if global {
                    // --tolerance over rows: stop once every method's ranking is settled enough.
                    if let tolerance, position + 1 < range.count, globals.values.allSatisfy({ $0.rankingConvergenceRatio <= tolerance }) {
                        FileHandle.standardError.write(Data("explain: --global converged after \(position + 1) rows (tolerance \(tolerance))\n".utf8))
                        break
                    }
                    continue
                }
                let label = labels.map { Self.labelName($0[index], classNames: classNames) }
                let heading = "row \(index) of \(data): predicted \(classNames[predicted]) (\(String(format: "%.4f", probabilities[predicted])))"
                    + (label.map { ", label \($0)" } ?? "") + "; explaining \(classNames[targetClass]) over \(f) features"
                let suffix = suffixes[position]
                func labelsOf(_ e: Explanation) -> [String] {
                    e.featureRules ?? (0..<f).map { "\(schema.featureNames[$0]) = \(String(format: "%.4g", rawRow[$0]))" }
                }
                if let png {
                    let pictures = explanations.map { FeatureBarChart.picture($0, labels: labelsOf($0), top: shown) }
                    try AtomicFile.write(try AttributionImage.png(Self.stacked(pictures)), to: URL(fileURLWithPath: Self.suffixed(png, suffix)))
                }
                if let report {
                    var body = "<h1>Glassbox explanation: \(HTML.escape(heading))</h1>\n<table><tr><th>class</th><th>\(model.endsInSoftmax ? "probability" : "score")</th></tr>\n"
                    body += probabilities.enumerated().map { "<tr><td>\(HTML.escape(classNames[$0]))</td><td>\(String(format: "%.4f", $1))</td></tr>" }.joined(separator: "\n")
                    body += "</table>\n"
                    for e in explanations {
                        let chart = try AttributionImage.png(FeatureBarChart.picture(e, labels: labelsOf(e), top: shown))
                        body += "<h2>\(e.method)</h2>\n<p>base \(String(format: "%.4f", e.baseValue)), prediction \(String(format: "%.4f", e.prediction)), \(e.samples) evaluations</p>\n"
                        body += "<img alt=\"\" src=\"data:image/png;base64,\(chart.base64EncodedString())\">\n<table><tr><th>feature</th><th>value</th><th>attribution</th></tr>\n"
                        for j in e.values.indices.sorted(by: { abs(e.values[$0]) > abs(e.values[$1]) }) {
                            body += "<tr><td>\(HTML.escape(e.featureRules?[j] ?? schema.featureNames[j]))</td><td>\(String(format: "%.4g", rawRow[j]))</td><td>\(String(format: "%+.5f", e.values[j]))</td></tr>\n"
                        }
                        body += "</table>\n"
                    }
                    try AtomicFile.write(Data(Self.page("Glassbox explanation", body).utf8), to: URL(fileURLWithPath: Self.suffixed(report, suffix)))
                }
                if format == "json" {
                    let object: [String: Any] = [
                        "row": index, "label": label as Any? ?? NSNull(), "predicted": predicted, "target": targetClass,
                        (model.endsInSoftmax ? "probabilities" : "scores"): probabilities.map(Double.init),
                        "features": schema.featureNames, "feature_values": rawRow.map(Double.init),
                        "background_rows": backgroundRows.count,
                        "methods": explanations.map { e -> [String: Any] in
                            var o = Self.json(e, width: f, level: confidence)
                            o["pixel_map"] = nil
                            if let rules = e.featureRules { o["rules"] = rules }
                            return o
                        },
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: range.count > 1 ? [.sortedKeys] : [.sortedKeys, .prettyPrinted])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(heading)
                    for e in explanations {
                        print("  \(e.method): base \(String(format: "%.4f", e.baseValue)), prediction \(String(format: "%.4f", e.prediction)), "
                              + "\(e.samples) evaluations, \(String(format: "%.3f", e.seconds)) s" + (e.featureRules == nil ? "" : ", R^2 \(String(format: "%.3f", e.metrics["r2"] ?? .nan))"))
                        let lines = labelsOf(e)
                        let width = min(60, max(24, lines.map(\.count).max() ?? 0))
                        let interval = e.interval(level: confidence)
                        for j in e.values.indices.sorted(by: { abs(e.values[$0]) > abs(e.values[$1]) }).prefix(shown) {
                            print("    \(lines[j].padding(toLength: width, withPad: " ", startingAt: 0)) \(Self.valueWithHalfWidth(e.values[j], interval, at: j))")
                        }
                    }
                }
                fflush(stdout)
            }
            if global { try reportTable(globals: methods.compactMap { globals[$0] }, classNames: classNames) }
            printProfile(backend)
        }
    }

    /// `--global` over rows: the features by mean |value|, the summary (beeswarm) plot coloured by
    /// feature value, as text or JSON, PNG and HTML.
    func reportTable(globals: [GlobalExplanation], classNames: [String]) throws {
        if format == "json" {
            let objects = globals.map { g -> [String: Any] in [
                "method": g.method, "rows": g.records.count, "features": g.featureNames ?? [],
                "convergence": Self.globalConvergence(g, tolerance: tolerance, ceiling: count) as Any? ?? NSNull(),
                "ranking": Self.rankingJSON(g, level: confidence).map { entry in
                    var entry = entry
                    entry["feature"] = g.segmentName(entry["segment"] as? Int ?? 0)
                    entry["segment"] = nil
                    return entry
                },
            ] }
            let data = try JSONSerialization.data(withJSONObject: ["global": true, "methods": objects], options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for g in globals {
                let explained = g.records.first.map { " of \(Self.labelName(String($0.target), classNames: classNames))" } ?? ""
                print("\(g.method) over \(g.records.count) rows, explaining the output\(explained): features by mean |value|")
                let q = ConfidenceInterval.quantile(level: confidence, degreesOfFreedom: Double(g.records.count - 1))
                for entry in g.ranking.prefix(numFeatures ?? 10) {
                    print("  \(g.segmentName(entry.segment).padding(toLength: 28, withPad: " ", startingAt: 0)) \(String(format: "%.5f", entry.meanAbsoluteValue))"
                          + (entry.standardError.map { String(format: " ± %.5f", q * $0) } ?? ""))
                }
            }
        }
        for g in globals {
            let suffix = globals.count > 1 ? "-\(g.method)" : ""
            if let png {
                try AtomicFile.write(try AttributionImage.png(SummaryPlot.beeswarmPicture(g)), to: URL(fileURLWithPath: Self.suffixed(png, suffix + "-summary")))
            }
            if let report {
                var body = "<h1>Glassbox global explanation: \(g.method) over \(g.records.count) rows</h1>\n"
                body += "<h2>Summary plot</h2>\n<p>Each dot is a row: its attribution (x) and the feature's value (colour).</p>\n" + SummaryPlot.beeswarmSVG(g)
                body += "<h2>Features by mean |value|</h2>\n<table><tr><th>feature</th><th>mean |value|</th></tr>\n"
                body += g.ranking.map { "<tr><td>\(HTML.escape(g.segmentName($0.segment)))</td><td>\(String(format: "%.5f", $0.meanAbsoluteValue))</td></tr>" }.joined(separator: "\n")
                body += "</table>\n"
                try AtomicFile.write(Data(Self.page("Glassbox global explanation", body).utf8), to: URL(fileURLWithPath: Self.suffixed(report, suffix)))
            }
        }
    }

    /// A label cell as a class name: scikit-learn's files hold class indices.
    static func labelName(_ cell: String, classNames: [String]) -> String {
        if classNames.contains(cell) { return cell }
        if let index = Int(cell), classNames.indices.contains(index) { return classNames[index] }
        return cell
    }

    static func page(_ title: String, _ body: String) -> String {
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(title)</title>"
            + "<style>body { font-family: sans-serif; margin: 24px; } td, th { padding: 3px 10px; text-align: left; } svg text { font-size: 12px; }</style>"
            + "</head><body>\n" + body + "</body></html>\n"
    }

    /// Pictures one under another, on white.
    static func stacked(_ pictures: [AttributionImage.Picture]) -> AttributionImage.Picture {
        let width = pictures.map(\.width).max() ?? 1, height = max(pictures.reduce(0) { $0 + $1.height }, 1)
        var out = AttributionImage.Picture(width: width, height: height)
        var top = 0
        for picture in pictures {
            for y in 0..<picture.height {
                let from = y * picture.width * 3, to = ((top + y) * width) * 3
                out.rgb.replaceSubrange(to..<(to + picture.width * 3), with: picture.rgb[from..<(from + picture.width * 3)])
            }
            top += picture.height
        }
        return out
    }
}
