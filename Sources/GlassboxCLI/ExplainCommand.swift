import ArgumentParser
import Foundation
import Glassbox

/// `glassbox explain`: attributions for test images or an image file, with metrics, PNG heatmaps
/// and an HTML report.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain",
        abstract: "Explain predictions with SHAP, LIME, occlusion and gradient methods, with trust metrics.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "Folder with the IDX files (test images for --index; training images for the mean baseline and gradient-shap).")
    var data: String?
    @Option(help: "The first test image to explain (default with --global: 0).") var index: Int?
    @Option(help: "How many test images from --index (results stream, one per image).") var count = 1
    @Option(help: "An 8-bit grayscale PNG or PGM of the model's input size.") var image: String?
    @Option(help: "Comma-separated methods: \(ExplanationMethods.names.joined(separator: ", ")).") var method = "exact"
    @Option(help: "grid:G, superpixels:N, or a PGM/PNG file of segment ids.") var segments = "grid:4"
    @Option(help: "zero, mean (training-set mean image), blur[:SIGMA], or an image file.") var baseline = "zero"
    @Option(help: "Sample budget of the sampling methods (default: each method's own).") var samples: Int?
    @Option(help: "predicted, a class index, or a position in a multi-axis output (5,3: row 5, class 3 of a (28, 10) output).")
    var target = "predicted"
    @Option(help: "Seed of every random draw.") var seed: UInt64 = 0
    @Option(help: "text or json.") var format = "text"
    @Option(help: "Write the image and one heatmap per method to this PNG (with --count > 1, -<index> is added).") var png: String?
    @Option(help: "Write a self-contained HTML report (with --count > 1, -<index> is added).") var report: String?
    @Option(help: "Draws of the maximum-sensitivity stability metric (0 to skip; each draw reruns the method).") var stability = 0
    @Flag(help: "Rerun each method with the next seed and report the Spearman correlation of the two (seed_consistency).")
    var seedConsistency = false
    @Flag(help: "Aggregate over the --count images: per-class mean maps, mean |value| per segment, a segment ranking and a summary plot.")
    var global = false
    @Option(help: "For a CSV table (--data file.csv): the first row to explain (0 = the first data row; default with --global: 0).")
    var row: Int?
    @Option(help: "For a CSV table: background rows drawn (seeded) from --data for SHAP and DeepSHAP (default 100; all when fewer).")
    var background: Int?
    @Option(help: "For a CSV table: features shown per method in text, and kept by LIME's local model (default 10).")
    var numFeatures: Int?
    @Option(help: "What deep explains on a softmax model: logit (default; its intervals are calibrated) or probability (shap's softmax rule).")
    var deepOutput = ExplanationMethods.defaultDeepOutput.rawValue
    @Option(help: "Level of the confidence intervals reported with every value (between 0 and 1).")
    var confidence = 0.95
    @Option(help: "Keep sampling until the largest standard error is at most this fraction of the values' spread (max - min), up to --samples (default: 10x each method's budget); with --global, add images until the segment ranking's errors are, up to --count.")
    var tolerance: Double?
    @Option(help: "Explain only part K of N (counted from 0: 0/4 to 3/4) of the test images into --shard-file, for independent jobs (Slurm arrays, Kubernetes jobs); `glassbox merge` of the N parts writes what one run writes.")
    var shard: String?
    @Option(help: "Where --shard writes its part.") var shardFile: String?
    @Option(help: "gradient-shap's input noise, a standard deviation on [0, 1] pixels (default \(ExplanationMethods.defaultGradientShapNoise); 0 gives expected gradients).")
    var noise: Double?

    func validate() throws {
        guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json (got \(format))") }
        guard DeepShap.Output(rawValue: deepOutput) != nil else {
            throw ValidationError("--deep-output must be \(DeepShap.Output.allCases.map(\.rawValue).joined(separator: " or ")) (got \(deepOutput))")
        }
        do {
            try ConfidenceInterval.check(level: confidence)
            if let tolerance { try Convergence.check(tolerance: tolerance) }
        } catch let error as GlassboxError { throw ValidationError(error.description) }
        try validateShard()
        if let data, TabularFile.isTable(data) {
            if shard != nil { throw ValidationError("--shard splits test images; a CSV table's rows are not sharded yet") }
            return try validateTable()
        }
        let tableFlags = [("--row", row != nil), ("--background", background != nil), ("--num-features", numFeatures != nil)].filter(\.1).map(\.0)
        if !tableFlags.isEmpty { throw ValidationError("\(tableFlags.joined(separator: ", ")) \(tableFlags.count == 1 ? "applies" : "apply") to a CSV table (--data file.csv or breast-cancer)") }
        if image != nil && index != nil { throw ValidationError("give either --image FILE or --index I (with --data DIR), not both") }
        if image == nil && index == nil && !global { throw ValidationError("give --image FILE or --index I (with --data DIR)") }
        if let index { try FlagRange.check(index, FlagRange.index, flag: "--index") }
        try FlagRange.check(count, FlagRange.count, flag: "--count")
        if let samples { try FlagRange.check(samples, ExplanationRequest.sampleRange, flag: "--samples") }
        try FlagRange.check(stability, FlagRange.stability, flag: "--stability")
        if let noise { try FlagRange.check(noise, FlagRange.noise, flag: "--noise") }
        if target != "predicted" && (target.isEmpty || target.split(separator: ",", omittingEmptySubsequences: false).contains { Int($0) == nil }) {
            throw ValidationError("--target must be 'predicted', a class index or a position such as 5,3 (got \(target))")
        }
        if global && image != nil { throw ValidationError("--global explains test images: give --index I --count N, not --image") }
        let names = methodNames
        if names.contains("") { throw ValidationError("--method has an empty item in '\(method)'") }
        if image != nil && count != 1 { throw ValidationError("--count applies to --index (test images), not to --image") }
        try checkOutputNames()
        if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw ValidationError("--method lists \(repeated) more than once")
        }
        for (path, flag) in [(image, "--image"), (png, "--png"), (report, "--report"), (data, "--data"), (segments, "--segments"), (baseline, "--baseline")] {
            try FlagRange.checkPath(path, flag: flag)
        }
        _ = try parsedBaseline(mean: nil)
    }

    /// `--png` must name a .png file and `--report` an .html one.
    func checkOutputNames() throws {
        if let png, !png.lowercased().hasSuffix(".png") { throw ValidationError("--png \(png): the file name must end in .png (it is a PNG picture)") }
        if let report, !(report.lowercased().hasSuffix(".html") || report.lowercased().hasSuffix(".htm")) {
            throw ValidationError("--report \(report): the file name must end in .html (it is an HTML page)")
        }
    }

    var methodNames: [String] { method.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }

    /// The files this run reads: an output may be none of them.
    func inputFiles(usesData: Bool) -> [OutputFiles.Entry] {
        var files = [OutputFiles.Entry(flag: "--model", path: modelOptions.model)] + InputFiles.entry(image, flag: "--image")
        if !(segments.hasPrefix("grid:") || segments.hasPrefix("superpixels:")) { files += InputFiles.entry(segments, flag: "--segments") }
        if !["zero", "mean", "blur"].contains(baseline) && !baseline.hasPrefix("blur:") { files += InputFiles.entry(baseline, flag: "--baseline") }
        return files + (usesData ? InputFiles.data(data) : [])
    }

    /// Every file this run will write, in the order it writes them.
    func plannedOutputs(suffixes: [String], methods: [String]) -> [OutputFiles.Entry] {
        if global {
            return methods.flatMap { method -> [OutputFiles.Entry] in
                let suffix = methods.count > 1 ? "-\(method)" : ""
                return (png.map { [OutputFiles.Entry(flag: "--png", path: Self.suffixed($0, suffix)),
                                   OutputFiles.Entry(flag: "--png", path: Self.suffixed($0, suffix + "-summary"))] } ?? [])
                    + (report.map { [OutputFiles.Entry(flag: "--report", path: Self.suffixed($0, suffix))] } ?? [])
            }
        }
        return suffixes.flatMap { suffix in
            (png.map { [OutputFiles.Entry(flag: "--png", path: Self.suffixed($0, suffix))] } ?? [])
                + (report.map { [OutputFiles.Entry(flag: "--report", path: Self.suffixed($0, suffix))] } ?? [])
        }
    }

    func run() throws {
        let model = try modelOptions.load()
        if let data, TabularFile.isTable(data) {
            guard Cluster.communicator.size == 1 else {
                throw CommandFailure(message: "explain splits test images over mpirun's ranks; a CSV table's rows are not split yet: run it as one process")
            }
            return try explainTable(model: model, data: data)
        }
        let methods = methodNames
        guard let channels = model.imageChannels else {
            throw CommandFailure(GlassboxError.invalidArgument(operation: "explain",
                reason: "explain takes models of gray or RGB images ([height, width, 1 or 3]), not \(model.inputShape)"))
        }
        let (height, width) = (model.inputShape[0], model.inputShape[1])
        let index = self.index ?? (global ? 0 : nil)
        let needsBackground = methods.contains("gradient-shap") || methods.contains("deep")
        // An image file needs the data set only for a background sample or the mean image, both
        // read lazily (the training file alone; 100 images converted, or summed from its bytes).
        let needsData = index != nil
        let dataset: Dataset? = needsData
            ? try DataOptions.load(folder: data ?? Dataset.defaultFolder, classes: nil, channels: channels) : nil
        let dataFolder = data ?? Dataset.defaultFolder
        let background: [[Float]] = !needsBackground ? [] : try dataset.map { $0.trainingSample(count: 100, seed: seed) }
            ?? reportingErrors {
                try FlagRange.checkPath(dataFolder, flag: "--data")
                return try Dataset.trainingSample(folder: URL(fileURLWithPath: dataFolder), count: 100, seed: seed, channels: channels)
            }
        let meanImage: [Float]? = baseline != "mean" ? nil : try dataset.map { Baseline.mean(of: $0.trainImages, count: $0.trainCount) }
            ?? reportingErrors {
                try FlagRange.checkPath(dataFolder, flag: "--data")
                return try Dataset.trainingMean(folder: URL(fileURLWithPath: dataFolder), channels: channels)
            }
        var inputs: [(index: Int?, name: String, pixels: [Float], label: Int?)] = []
        if let image {
            let picture = try reportingErrors { try ImageFile.load(from: URL(fileURLWithPath: image), channels: channels) }
            guard picture.width == width, picture.height == height else {
                throw CommandFailure(GlassboxError.invalidArgument(operation: "explain",
                    reason: "\(image) is \(picture.width)x\(picture.height) but the model takes \(width)x\(height) images"))
            }
            inputs = [(nil, image, picture.values, nil)]
        } else if let dataset, let first = index {
            guard dataset.rows == height, dataset.columns == width else {
                throw CommandFailure(GlassboxError.invalidArgument(operation: "explain",
                    reason: "the data has \(dataset.columns)x\(dataset.rows) images but the model takes \(width)x\(height)"))
            }
            let size = dataset.imageSize
            for i in try checkedRange(first: first, count: count, available: dataset.testCount, what: "test image") {
                inputs.append((i, "test image \(i)", Array(dataset.testImages[(i * size)..<((i + 1) * size)]), Int(dataset.testLabels[i])))
            }
        }
        // One name per output: a model's or data set's list may be shorter than the model's outputs.
        let knownNames = model.classNames ?? dataset?.classNames ?? []
        let classNames = (0..<model.outputCount).map { knownNames.indices.contains($0) ? knownNames[$0] : "class \($0)" }
        let outputShape = model.outputShapes.last!
        func className(_ index: Int) -> String {
            guard outputShape.count > 1 else { return classNames.indices.contains(index) ? classNames[index] : "class \(index)" }
            // A position of a multi-axis output: its leading indices, then the class on the last axis.
            var rest = index / outputShape.last!, position: [Int] = []
            for size in outputShape.dropLast().reversed() { position.insert(rest % size, at: 0); rest /= size }
            let column = index % outputShape.last!
            return "[" + position.map(String.init).joined(separator: ", ") + "] " + (knownNames.indices.contains(column) ? knownNames[column] : "class \(column)")
        }
        let suffixes = inputs.enumerated().map { position, item in inputs.count > 1 ? "-\(item.index ?? position)" : "" }
        // A --shard job writes only its part; `glassbox merge` writes the PNG and HTML files.
        let outputs = shardFile.map { [OutputFiles.Entry(flag: "--shard-file", path: $0)] } ?? plannedOutputs(suffixes: suffixes, methods: methods)
        try checkOutputs(outputs, inputs: inputFiles(usesData: dataset != nil || needsBackground || meanImage != nil))
        let backend = try deviceOptions.backend()
        try reportingErrors {
            let session = try InferenceSession(model: model, backend: backend)
            let explainers = try methods.map { try ExplanationMethods.make($0, background: background, noise: noise,
                                                                            deepOutput: DeepShap.Output(rawValue: deepOutput)!) }
            if samples != nil && methods.contains("deep") {
                FileHandle.standardError.write(Data("explain: deep ignores --samples: its references are the \(background.count) background images\n".utf8))
            }
            // One image's outputs, in the order one process writes them; a sharded run hands these
            // to rank 0 or to `glassbox merge`.
            func explainImage(at position: Int) throws -> ExplainedImage {
                let item = inputs[position]
                var result = ExplainedImage(position: position)
                // Progress on stderr: every image, or with --global over many, every 5 % of them.
                let every = global ? max(1, inputs.count / 20) : 1
                if inputs.count > 1, (position + 1) % every == 0 || position + 1 == inputs.count {
                    FileHandle.standardError.write(Data("explaining \(item.name) (\(position + 1)/\(inputs.count))\n".utf8))
                }
                let segmentation = try makeSegmentation(item.pixels, width: width, height: height)
                let baselineValues = try makeBaseline(meanImage, modelInputShape: model.inputShape).values(for: item.pixels, width: width, height: height)
                let probabilities = try session.predict(item.pixels)
                let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                let targetClass = target == "predicted" ? predicted : try flatTarget(outputShape: model.outputShapes.last!)
                var request = try ExplanationRequest(session: session, input: item.pixels, baseline: baselineValues,
                                                     segmentation: segmentation, target: targetClass, samples: samples, seed: seed)
                request.tolerance = tolerance
                var explanations: [Explanation] = []
                var curves: [String: ExplanationMetrics.Faithfulness] = [:]
                let engine = try request.makeEngine()
                let intensities = global ? GlobalExplanation.segmentIntensities(item.pixels, segmentation: segmentation) : []
                for explainer in explainers {
                    var explanation = try explainer.explain(request)
                    if global {
                        result.records.append(.init(method: explanation.method, target: explanation.target, values: explanation.values,
                                                    pixelMap: explanation.pixelMap, intensities: intensities))
                        continue
                    }
                    if explanation.values.count == segmentation.count {
                        let faithfulness = try ExplanationMetrics.faithfulness(values: explanation.values, engine: engine, target: targetClass)
                        curves[explanation.method] = faithfulness
                        explanation.metrics["deletion_auc"] = faithfulness.deletionArea
                        explanation.metrics["insertion_auc"] = faithfulness.insertionArea
                    }
                    if stability > 0 {
                        let sensitivity = try ExplanationMetrics.maximumSensitivity(values: explanation.values, input: item.pixels,
                                                                                    draws: stability, seed: seed) { perturbed in
                            let perturbedRequest = try ExplanationRequest(session: session, input: perturbed, baseline: baselineValues,
                                                                          segmentation: segmentation, target: targetClass, samples: samples, seed: seed)
                            return try explainer.explain(perturbedRequest).values
                        }
                        explanation.metrics["max_sensitivity"] = sensitivity.absolute
                        explanation.metrics["max_sensitivity_relative"] = sensitivity.relative
                    }
                    if seedConsistency && !explanation.values.isEmpty {
                        var reseeded = request
                        reseeded.seed = seed &+ 1
                        explanation.metrics["seed_consistency"] = ExplanationMetrics.spearman(explanation.values, try explainer.explain(reseeded).values)
                    }
                    explanations.append(explanation)
                }
                if global { return result }
                var consistency: [String: Double] = [:]
                for i in explanations.indices {
                    for j in explanations.indices where j > i && explanations[i].values.count == explanations[j].values.count && !explanations[i].values.isEmpty {
                        consistency["\(explanations[i].method)~\(explanations[j].method)"] =
                            ExplanationMetrics.spearman(explanations[i].values, explanations[j].values)
                    }
                }
                let suffix = suffixes[position]
                if let png {
                    let picture = AttributionImage.render(input: item.pixels, width: width, height: height,
                                                          panels: explanations.map { .init($0, segmentation: segmentation, level: confidence) },
                                                          intervalLevel: confidence)
                    result.files.append(.init(path: Self.suffixed(png, suffix), data: try AttributionImage.png(picture)))
                }
                if let report {
                    var page = ExplanationReport(title: "Glassbox explanation: \(item.name)", input: item.pixels, width: width, height: height,
                                                 probabilities: probabilities, classNames: classNames, explanations: explanations,
                                                 faithfulness: curves)
                    page.outputName = model.endsInSoftmax ? "probability" : "score"
                    page.segmentation = segmentation
                    page.confidenceLevel = confidence
                    result.files.append(.init(path: Self.suffixed(report, suffix), data: Data(try page.html().utf8)))
                }
                if format == "json" {
                    let object: [String: Any] = [
                        "index": item.index as Any? ?? NSNull(), "image": item.index == nil ? item.name : NSNull(),
                        "label": item.label as Any? ?? NSNull(), "predicted": predicted, "target": targetClass,
                        (model.endsInSoftmax ? "probabilities" : "scores"): probabilities.map(Double.init), "segments": segmentation.count,
                        "methods": explanations.map { Self.json($0, width: width, level: confidence) }, "consistency": consistency,
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: inputs.count > 1 ? [.sortedKeys] : [.sortedKeys, .prettyPrinted])
                    result.output = String(decoding: data, as: UTF8.self)
                } else {
                    var lines = ["\(item.name): predicted \(className(predicted)) (\(String(format: "%.4f", probabilities[predicted])))"
                          + (item.label.map { ", label \(outputShape.count > 1 ? (knownNames.indices.contains($0) ? knownNames[$0] : "class \($0)") : className($0))" } ?? "") + "; explaining \(className(targetClass)) over \(segmentation.count) segments"]
                    lines += explanations.map { Self.text($0, level: confidence) }
                    lines += consistency.keys.sorted().map { "  consistency (Spearman) \($0): \(String(format: "%.3f", consistency[$0]!))" }
                    result.output = lines.joined(separator: "\n")
                }
                return result
            }
            let run = ExplainRun(classNames: classNames, width: width, height: height, images: inputs.count)
            try runSharded(run, explainImage: explainImage)
            printProfile(backend)
        }
    }

    /// Prints, writes and reports the aggregated views of `--global`.
    func report(globals: [GlobalExplanation], classNames: [String]) throws {
        func name(_ index: Int) -> String { classNames.indices.contains(index) ? classNames[index] : "class \(index)" }
        if format == "json" {
            let objects = globals.map { g -> [String: Any] in [
                "method": g.method, "images": g.records.count, "segments": g.segmentCount,
                "images_per_class": g.imagesPerClass,
                "mean_abs_values_per_class": (0..<g.classCount).map { g.meanAbsoluteValues(ofClass: $0) },
                "std_errors_per_class": (0..<g.classCount).map { g.standardErrors(ofClass: $0) as Any? ?? NSNull() },
                "convergence": Self.globalConvergence(g, tolerance: tolerance, ceiling: count) as Any? ?? NSNull(),
                "mean_pixel_map_per_class": (0..<g.classCount).map { c in
                    let map = g.meanPixelMap(ofClass: c)
                    return stride(from: 0, to: map.count, by: g.width).map { Array(map[$0..<($0 + g.width)]) }
                },
                "ranking": Self.rankingJSON(g, level: confidence),
            ] }
            let data = try JSONSerialization.data(withJSONObject: ["global": true, "methods": objects], options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for g in globals {
                print("\(g.method) over \(g.records.count) images, \(g.segmentCount) segments")
                let q = ConfidenceInterval.quantile(level: confidence, degreesOfFreedom: Double(g.records.count - 1))
                print("  segments by mean |value| (± half-width of the \(Self.percent(confidence)) interval over images): "
                      + g.ranking.prefix(10).map { entry in
                          "\(entry.segment) (\(String(format: "%.4f", entry.meanAbsoluteValue))" + (entry.standardError.map { String(format: " ± %.4f", q * $0) } ?? "") + ")"
                      }.joined(separator: ", "))
                if let c = Self.globalConvergence(g, tolerance: tolerance, ceiling: count) {
                    print("  " + ((c["converged"] as? Bool) == true ? "converged" : "not converged") + " after \(g.records.count) of at most \(count) images")
                }
                for c in 0..<g.classCount where g.imagesPerClass[c] > 0 {
                    let values = g.meanAbsoluteValues(ofClass: c)
                    let top = values.indices.sorted { values[$0] > values[$1] }.prefix(3)
                    print("  \(name(c)): \(g.imagesPerClass[c]) images; top segments " + top.map { "\($0) (\(String(format: "%.4f", values[$0])))" }.joined(separator: ", "))
                }
            }
        }
        for g in globals {
            let suffix = globals.count > 1 ? "-\(g.method)" : ""
            let gridPNG = png == nil && report == nil ? Data() : try AttributionImage.png(SummaryPlot.classGrid(g, classNames: classNames))
            if let png {
                let grid = Self.suffixed(png, suffix), summary = Self.suffixed(png, suffix + "-summary")
                try AtomicFile.write(gridPNG, to: URL(fileURLWithPath: grid))
                try AtomicFile.write(try AttributionImage.png(SummaryPlot.beeswarmPicture(g)), to: URL(fileURLWithPath: summary))
            }
            if let report {
                var body = "<h1>Glassbox global explanation: \(g.method) over \(g.records.count) images</h1>\n"
                body += "<h2>Mean attribution map per class</h2>\n<p>Classes in rows of five: " + (0..<g.classCount).map { name($0) }.joined(separator: ", ")
                body += ". Red raises the class's output, blue lowers it; one colour scale for all, saturated at the 99th percentile of |value|.</p>\n"
                body += "<img alt=\"\" src=\"data:image/png;base64,\(gridPNG.base64EncodedString())\">\n"
                body += "<h2>Summary plot</h2>\n" + SummaryPlot.beeswarmSVG(g)
                let q = ConfidenceInterval.quantile(level: confidence, degreesOfFreedom: Double(g.records.count - 1))
                body += "<h2>Segments by mean |value|</h2>\n<p>With the \(Self.percent(confidence)) interval of each mean over the \(g.records.count) images "
                    + "(another sample of as many images would move the means by about this much).</p>\n"
                body += "<table><tr><th>segment</th><th>mean |value|</th><th>± half-width</th><th>bar</th></tr>\n"
                let largest = g.ranking.map { $0.meanAbsoluteValue + q * ($0.standardError ?? 0) }.max() ?? 0
                body += g.ranking.map { entry in
                    let half = entry.standardError.map { q * $0 }
                    // A bar to the mean, and a whisker over the interval, on one scale for all rows.
                    func px(_ v: Double) -> Int { largest > 0 ? Int((max(v, 0) / largest * 200).rounded()) : 0 }
                    let bar = "<svg width=\"210\" height=\"12\"><rect x=\"0\" y=\"2\" width=\"\(px(entry.meanAbsoluteValue))\" height=\"8\" fill=\"#ff0d57\"/>"
                        + (half.map { "<line x1=\"\(px(entry.meanAbsoluteValue - $0))\" y1=\"6\" x2=\"\(px(entry.meanAbsoluteValue + $0))\" y2=\"6\" stroke=\"#222\"/>" } ?? "")
                        + "</svg>"
                    return "<tr><td>\(entry.segment)</td><td>\(String(format: "%.5f", entry.meanAbsoluteValue))</td><td>"
                        + (half.map { String(format: "%.5f", $0) } ?? "-") + "</td><td>\(bar)</td></tr>"
                }.joined(separator: "\n")
                body += "</table>\n"
                try AtomicFile.write(Data(Self.page("Glassbox global explanation", body).utf8), to: URL(fileURLWithPath: Self.suffixed(report, suffix)))
            }
        }
    }

    /// The global ranking as JSON: each segment's mean |value|, its standard error over the images
    /// and the interval at `level` (t quantile, images - 1 degrees of freedom).
    static func rankingJSON(_ g: GlobalExplanation, level: Double) -> [[String: Any]] {
        let q = ConfidenceInterval.quantile(level: level, degreesOfFreedom: Double(g.records.count - 1))
        return g.ranking.map { entry in
            var object: [String: Any] = ["segment": entry.segment, "mean_abs_value": entry.meanAbsoluteValue]
            if let error = entry.standardError {
                object["std_error"] = error
                object["interval"] = ["level": level, "low": entry.meanAbsoluteValue - q * error, "high": entry.meanAbsoluteValue + q * error] as [String: Any]
            }
            return object
        }
    }

    /// How `--tolerance` ended for a global view; nil without a tolerance.
    static func globalConvergence(_ g: GlobalExplanation, tolerance: Double?, ceiling: Int) -> [String: Any]? {
        guard let tolerance else { return nil }
        let ratio = g.rankingConvergenceRatio
        return ["tolerance": tolerance, "converged": ratio <= tolerance, "images": g.records.count, "ceiling": ceiling,
                "error_to_spread": ratio.isFinite ? ratio as Any : NSNull()]
    }

    /// `--target` as a flat index into the model's output: a class index for a class vector, or
    /// one index per axis (`5,3`) for a multi-axis output, each checked against its axis.
    func flatTarget(outputShape: [Int]) throws -> Int {
        let indices = target.split(separator: ",").compactMap { Int($0) }
        if indices.count == 1 && outputShape.count == 1 { return indices[0] }   // ExplanationRequest checks the range
        guard indices.count == outputShape.count else {
            throw ValidationError("--target \(target): the model's output is (\(outputShape.map(String.init).joined(separator: ", "))), "
                + "so give \(outputShape.count) indices separated by commas (e.g. \(outputShape.map { _ in "0" }.joined(separator: ",")))")
        }
        var flat = 0
        for (axis, (index, size)) in zip(indices, outputShape).enumerated() {
            guard (0..<size).contains(index) else {
                throw ValidationError("--target \(target): index \(index) on axis \(axis + 1) is outside 0..<\(size)")
            }
            flat = flat * size + index
        }
        return flat
    }

    func makeSegmentation(_ pixels: [Float], width: Int, height: Int) throws -> Segmentation {
        if segments.hasPrefix("grid:") || segments.hasPrefix("superpixels:") {
            // Superpixels of a colour image follow its luminance.
            return try Segmentation.parse(segments, image: ImageFile.luminance(pixels, channels: pixels.count / (width * height)),
                                          width: width, height: height)
        }
        let map = try GrayImage.load(from: URL(fileURLWithPath: segments))
        guard map.width == width, map.height == height else {
            throw GlassboxError.invalidArgument(operation: "--segments",
                reason: "segment map \(segments) is \(map.width)x\(map.height), the image \(width)x\(height)")
        }
        return try Segmentation.map(map.pixels.map(Int.init), width: width, height: height)
    }

    func makeBaseline(_ mean: [Float]?, modelInputShape: [Int]) throws -> Baseline {
        if let parsed = try parsedBaseline(mean: mean) { return parsed }
        let picture = try ImageFile.load(from: URL(fileURLWithPath: baseline), channels: modelInputShape[2])
        let (height, width) = (modelInputShape[0], modelInputShape[1])
        guard picture.width == width, picture.height == height else {
            throw GlassboxError.invalidArgument(operation: "--baseline",
                reason: "\(baseline) is \(picture.width)x\(picture.height) but the model takes \(width)x\(height) images")
        }
        return .image(picture.values)
    }

    /// The baseline that `--baseline` names without a file (nil for an image file); checks the
    /// blur sigma's range.
    func parsedBaseline(mean: [Float]?) throws -> Baseline? {
        switch baseline {
        case "zero": return .zero
        case "mean": return .image(mean ?? [])
        case "blur": return .blur(sigma: 2)
        case let text where text.hasPrefix("blur:"):
            let range = FlagRange.blurSigma
            guard let sigma = Double(text.dropFirst(5)), sigma.isFinite, sigma > range.lowerBound, sigma <= range.upperBound else {
                throw ValidationError("--baseline blur:SIGMA needs a positive number up to \(Int(range.upperBound)) pixels (got \(text.dropFirst(5)))")
            }
            return .blur(sigma: sigma)
        default:
            return nil
        }
    }

    static func suffixed(_ path: String, _ suffix: String) -> String {
        guard !suffix.isEmpty else { return path }
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        return url.deletingPathExtension().path + suffix + (ext.isEmpty ? "" : "." + ext)
    }

    static func json(_ e: Explanation, width: Int, level: Double) -> [String: Any] {
        var object: [String: Any] = [
            "method": e.method, "target": e.target, "base_value": e.baseValue, "prediction": e.prediction, "values": e.values,
            "pixel_map": stride(from: 0, to: e.pixelMap.count, by: width).map { Array(e.pixelMap[$0..<min($0 + width, e.pixelMap.count)]) },
            "metrics": e.metrics, "samples": e.samples, "seconds": e.seconds,
        ]
        if !e.values.isEmpty { object["efficiency_gap"] = e.efficiencyGap }
        if let summed = e.summedPrediction { object["summed_prediction"] = summed }
        if let errors = e.standardErrors { object["std_errors"] = errors }
        if let interval = e.interval(level: level) {
            object["interval"] = ["level": interval.level, "low": interval.low, "high": interval.high] as [String: Any]
        }
        if let dof = e.degreesOfFreedom { object["degrees_of_freedom"] = dof }
        if let c = e.convergence {
            object["convergence"] = ["tolerance": c.tolerance, "converged": c.converged, "evaluations": c.evaluations,
                                     "error_to_spread": c.ratio.isFinite ? c.ratio as Any : NSNull()] as [String: Any]
        }
        return object
    }

    /// `0.95` as `95%`.
    static func percent(_ level: Double) -> String { String(format: "%g%%", level * 100) }

    /// A value with its interval's half-width, `+0.0123 +- 0.0010`, or the value alone without one.
    static func valueWithHalfWidth(_ value: Double, _ interval: ConfidenceInterval?, at index: Int) -> String {
        guard let interval else { return String(format: "%+.4f", value) }
        return String(format: "%+.4f", value) + " ± " + String(format: "%.4f", (interval.high[index] - interval.low[index]) / 2)
    }

    static func text(_ e: Explanation, level: Double) -> String {
        var lines = ["  \(e.method): base \(String(format: "%.4f", e.baseValue)), prediction \(String(format: "%.4f", e.prediction)), "
                     + "\(e.samples) evaluations, \(String(format: "%.3f", e.seconds)) s"]
        let top = e.values.indices.sorted { abs(e.values[$0]) > abs(e.values[$1]) }.prefix(5)
        if !top.isEmpty {
            let interval = e.interval(level: level), exact = e.standardErrors?.allSatisfy { $0 == 0 } == true
            lines.append("    top segments" + (exact ? " (exact)" : interval == nil ? "" : " (value ± half-width of the \(Self.percent(level)) interval)") + ": "
                         + top.map { "\($0): \(valueWithHalfWidth(e.values[$0], exact ? nil : interval, at: $0))" }.joined(separator: ", "))
            if interval == nil { lines.append("    standard errors: none (too few samples to estimate them)") }
            if let c = e.convergence {
                lines.append("    " + (c.converged ? "converged" : "not converged") + " at \(c.evaluations) evaluations: largest error / spread "
                             + (c.ratio.isFinite ? String(format: "%.3g", c.ratio) : "undefined") + " (tolerance \(String(format: "%g", c.tolerance)))")
            }
            lines.append("    efficiency gap: \(String(format: "%.2e", e.efficiencyGap))")
        }
        for key in e.metrics.keys.sorted() { lines.append("    \(key): \(String(format: "%.4g", e.metrics[key]!))") }
        return lines.joined(separator: "\n")
    }
}
