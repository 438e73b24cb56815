import ArgumentParser
import Foundation
import Glassbox

/// `glassbox calibrate`: are the sampled methods' standard errors and intervals right? Each method
/// runs with many seeds at a fixed budget on test images cut into 12 segments, where the true
/// values are computed exactly, and the coverage of the intervals, the ratio of reported to actual
/// error and the rate at which the error falls with the budget are printed as a Markdown table
/// (``Calibration``; `make calibrate` writes CALIBRATION.md).
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calibrate",
        abstract: "Measure the coverage of the sampled methods' confidence intervals against exact values.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "Comma-separated sampled methods: permutation, kernel, lime, gradient-shap, deep.")
    var methods = "permutation,kernel,lime,gradient-shap,deep"
    @Option(help: "Seeds per method and image at the method's default budget (a fifth of them, at least 20, at a quarter of the budget for the slope).")
    var seeds = 500
    @Option(help: "Test images, from index 0.") var images = 2
    @Option(help: "Nominal level of the intervals.") var level = 0.95
    @Option(help: "Test images (from index 0) for the table of --tolerance runs (0 for none).") var toleranceImages = 10
    @Option(help: "Comma-separated tolerances of that table.") var tolerances = "0.05,0.01"

    var toleranceValues: [Double] { tolerances.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }

    static let known = ["permutation", "kernel", "lime", "gradient-shap", "deep"]

    var methodNames: [String] { methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func validate() throws {
        try FlagRange.check(seeds, 10...100_000, flag: "--seeds")
        try FlagRange.check(images, 1...1_000, flag: "--images")
        try FlagRange.check(toleranceImages, 0...1_000, flag: "--tolerance-images")
        do {
            try ConfidenceInterval.check(level: level)
            guard toleranceValues.count == tolerances.split(separator: ",").count, !toleranceValues.isEmpty else {
                throw ValidationError("--tolerances takes numbers separated by commas (got \(tolerances))")
            }
            for tolerance in toleranceValues { try Convergence.check(tolerance: tolerance) }
        } catch let error as GlassboxError { throw ValidationError(error.description) }
        if let unknown = methodNames.first(where: { !Self.known.contains($0) }) {
            throw ValidationError("--methods: '\(unknown)' is not a sampled method (known: \(Self.known.joined(separator: ", ")))")
        }
    }

    /// A 4 x 3 grid of a `width x height` image: 12 segments, the most at which exact values stay
    /// cheap (2^12 coalitions).
    static func twelveSegments(width: Int, height: Int) throws -> Segmentation {
        try Segmentation.map((0..<(width * height)).map { p in (p / width * 3 / height) * 4 + (p % width) * 4 / width },
                             width: width, height: height)
    }

    func run() throws {
        let model = try modelOptions.load()
        guard model.imageChannels != nil else {
            throw CommandFailure(message: "calibrate takes models of gray or RGB images, not \(model.inputShape)")
        }
        let dataset = try dataOptions.load(for: model)
        let (height, width) = (model.inputShape[0], model.inputShape[1])
        guard dataset.rows == height, dataset.columns == width, dataset.testCount >= max(images, toleranceImages) else {
            throw CommandFailure(message: "the data has \(dataset.testCount) test images of \(dataset.columns)x\(dataset.rows); the model takes \(width)x\(height) and --images asks for \(max(images, toleranceImages))")
        }
        let backend = try deviceOptions.backend()
        let session = try reportingErrors { try InferenceSession(model: model, backend: backend) }
        let segmentation = try Self.twelveSegments(width: width, height: height)
        let pool = dataset.trainingSample(count: min(1000, dataset.trainCount), seed: 7)
        let background = Array(pool.prefix(100))
        let slopeSeeds = max(20, seeds / 5)
        let shapleyBudget = KernelShap.defaultBudget(segments: segmentation.count)
        print("| method | image | budget | seeds | coverage of \(ExplainCommand.percent(level)) intervals | reported / actual error | slope of log error vs log budget | evaluations | ms per run |")
        print("|---|---|---|---|---|---|---|---|---|")
        for index in 0..<images {
            let size = dataset.imageSize
            let input = Array(dataset.testImages[(index * size)..<((index + 1) * size)])
            let probabilities = try session.predict(input)
            let target = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
            let request = try ExplanationRequest(session: session, input: input, baseline: [Float](repeating: 0, count: input.count),
                                                 segmentation: segmentation, target: target)
            var exact: [Double]?
            func shapley() throws -> [Double] {
                if let exact { return exact }
                exact = try ExactShapley().explain(request).values
                return exact!
            }
            for method in methodNames {
                // (row label, base budget, reference, explain at (budget, seed)).
                var rows: [(String, Int, [Double], (Int, UInt64) throws -> Explanation)] = []
                switch method {
                case "permutation", "kernel":
                    let explainer: any Explainer = method == "kernel" ? KernelShap() : PermutationShap()
                    rows.append((method, shapleyBudget, try shapley(), { budget, seed in
                        var r = request; r.samples = budget; r.seed = seed
                        return try explainer.explain(r)
                    }))
                case "lime":
                    let truth = try Calibration.limeReference(request)
                    for errorModel in Lime.ErrorModel.allCases {
                        rows.append(("lime (\(errorModel.rawValue))", Lime.defaultSamples, truth, { budget, seed in
                            var r = request; r.samples = budget; r.seed = seed
                            return try Lime(errorModel: errorModel).explain(r)
                        }))
                    }
                case "gradient-shap":
                    let explainer = GradientShap(background: background, noiseStandardDeviation: ExplanationMethods.defaultGradientShapNoise)
                    var large = request
                    large.samples = 5000
                    large.seed = 1 << 40
                    rows.append((method, GradientShap.defaultSamples, try explainer.explain(large).values, { budget, seed in
                        var r = request; r.samples = budget; r.seed = seed
                        return try explainer.explain(r)
                    }))
                default:   // deep: backgrounds drawn from a pool; the truth is the pool's mean.
                    for output in DeepShap.Output.allCases {
                        let truth = try DeepShap(background: pool, output: output).explain(request).values
                        rows.append(("deep (\(output.rawValue))", 100, truth, { budget, seed in
                            var random = SeededGenerator(seed: seed)
                            return try DeepShap(background: Array(pool.shuffled(using: &random).prefix(budget)), output: output).explain(request)
                        }))
                    }
                }
                for (label, budget, truth, explain) in rows {
                    let base = try Calibration.measure(method: label, budget: budget, reference: truth, seeds: 0..<UInt64(seeds), level: level) {
                        try explain(budget, $0)
                    }
                    let small = try Calibration.measure(method: label, budget: budget / 4, reference: truth,
                                                        seeds: UInt64(seeds)..<UInt64(seeds + slopeSeeds), level: level) {
                        try explain(budget / 4, $0)
                    }
                    print(String(format: "| %@ | %d | %d | %d | %.3f | %.3f | %.3f | %.0f | %.1f |", label, index, budget, seeds,
                                 base.coverage, base.errorRatio, Calibration.slope(small, base), base.meanEvaluations, base.meanSeconds * 1000))
                    fflush(stdout)
                }
            }
        }
        guard toleranceImages > 0 else { return }
        // --tolerance on the first test images, grid:4: where it stops, and whether it converged.
        let grid = try Segmentation.grid(4, width: width, height: height)
        let gradientShap = GradientShap(background: background, noiseStandardDeviation: ExplanationMethods.defaultGradientShapNoise)
        let sampled: [any Explainer] = [PermutationShap(), KernelShap(), Lime(), gradientShap]
        print("\n| method | image | tolerance | ceiling | evaluations | converged | largest error / spread |")
        print("|---|---|---|---|---|---|---|")
        for explainer in sampled {
            for (tolerance, index) in toleranceValues.flatMap({ t in (0..<toleranceImages).map { (t, $0) } }) {
                let size = dataset.imageSize
                let input = Array(dataset.testImages[(index * size)..<((index + 1) * size)])
                let probabilities = try session.predict(input)
                let target = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                var request = try ExplanationRequest(session: session, input: input, baseline: [Float](repeating: 0, count: input.count),
                                                     segmentation: grid, target: target)
                request.tolerance = tolerance
                let explanation = try explainer.explain(request)
                var ceiling = request.samplingCeiling(default: explainer.name == "lime" ? Lime.defaultSamples
                    : explainer.name == "gradient-shap" ? GradientShap.defaultSamples : KernelShap.defaultBudget(segments: grid.count))
                // In evaluations: gradient-shap also runs each noisy copy forward, and its background.
                if explainer.name == "gradient-shap" { ceiling = 2 * ceiling + 1 + background.count }
                guard let c = explanation.convergence else { continue }
                print(String(format: "| %@ | %d | %g | %d | %d | %@ | %.3g |", explainer.name, index, tolerance, ceiling, c.evaluations,
                             c.converged ? "yes" : "no", c.ratio))
                fflush(stdout)
            }
        }
    }
}
