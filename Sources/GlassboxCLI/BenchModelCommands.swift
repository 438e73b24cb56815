import ArgumentParser
import Foundation
import Glassbox

/// `glassbox bench training`: seconds per epoch of the reference CNN, as JSON, for comparison
/// with `bench/keras_reference.py train` in the same run.
struct TrainingBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "training",
        abstract: "Seconds per epoch of the reference CNN on the data (JSON), beside bench/keras_reference.py train.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "Epochs to time.") var epochs = 1
    @Option(help: "Samples per mini-batch.") var batchSize = 32
    @Option(help: "Seed of weights and shuffles.") var seed: UInt64 = 0
    @Option(help: "Train on the first N images only.") var limit: Int?

    func validate() throws {
        try FlagRange.check(epochs, TrainingLimits.epochs, flag: "--epochs")
        try FlagRange.check(batchSize, TrainingLimits.batchSize, flag: "--batch-size")
        if let limit { try FlagRange.check(limit, FlagRange.count, flag: "--limit") }
    }

    func run() throws {
        let dataset = try dataOptions.load()
        let backend = try deviceOptions.backend()
        try reportingErrors {
            var model = try Sequential.referenceCNN(inputShape: [dataset.rows, dataset.columns, 1], classes: dataset.classNames.count, seed: seed)
            try model.compile(optimizer: .adam, seed: seed)
            let count = min(limit ?? dataset.trainCount, dataset.trainCount)
            let size = dataset.rows * dataset.columns
            let reports = try model.fit(x: Array(dataset.trainImages[..<(count * size)]), y: Array(dataset.trainLabels[..<count]),
                                        epochs: epochs, batchSize: batchSize, backend: backend)
            let (_, accuracy) = try model.evaluate(x: dataset.testImages, y: dataset.testLabels, backend: backend)
            let result: [String: Any] = [
                "framework": "glassbox", "backend": backend.name, "kernels": kernelParameters(backend), "epochs": epochs, "batch_size": batchSize, "train_images": count,
                "epoch_seconds": reports.map(\.seconds), "final_loss": reports.last!.loss, "final_accuracy": reports.last!.accuracy,
                "test_accuracy": accuracy,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}

/// `glassbox bench predict`: batched inference throughput of the reference CNN, as JSON.
struct PredictBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict",
        abstract: "Images per second of batched inference with the reference CNN or --model (JSON), beside bench/keras_reference.py predict.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "A model file or ONNX file to time instead of the (untrained) reference CNN.") var model: String?
    @Option(help: "Images per run (test images, repeated if needed).") var images = 4096
    @Option(help: "Images per forward pass.") var batchSize = 4096
    @Option(help: "Timed runs; the best is reported.") var repeats = 5

    func validate() throws {
        try FlagRange.check(images, 1...(1 << 20), flag: "--images")
        try FlagRange.check(batchSize, TrainingLimits.batchSize, flag: "--batch-size")
        try FlagRange.check(repeats, FlagRange.repeats, flag: "--repeats")
    }

    func run() throws {
        let chosen = try model.map { path in try ModelOptions.parse(["--model", path]).load() }
        let dataset = try dataOptions.load(for: chosen)
        let backend = try deviceOptions.backend()
        try reportingErrors {
            let model = try chosen ?? Sequential.referenceCNN(inputShape: [dataset.rows, dataset.columns, 1], classes: dataset.classNames.count)
            let size = dataset.imageSize
            var x: [Float] = []
            x.reserveCapacity(images * size)
            while x.count < images * size { x += dataset.testImages.prefix(images * size - x.count) }
            let session = try InferenceSession(model: model, backend: backend)
            _ = try session.predict(x, batchSize: batchSize)
            var best = Double.infinity
            for _ in 0..<repeats {
                let start = Date()
                _ = try session.predict(x, batchSize: batchSize)
                best = min(best, Date().timeIntervalSince(start))
            }
            let result: [String: Any] = ["framework": "glassbox", "backend": backend.name, "kernels": kernelParameters(backend), "images": images, "batch_size": batchSize,
                                         "best_seconds": best, "images_per_second": Double(images) / best]
            print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
            printProfile(backend)
        }
    }
}

/// `glassbox bench explain`: seconds per explanation of one test image, as JSON, beside
/// `bench/shap_reference.py` (the `shap` and `lime` packages) in the same run.
struct ExplainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain",
        abstract: "Seconds of exact (grid:4), kernel (grid:7, 2,048 samples), lime (grid:7, 1,000 samples) and deep (100 background images) on one test image, with and without standard errors (JSON).")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "The test image.") var index = 0
    @Option(help: "Comma-separated method:grid:samples cases (for deep, samples is the background size).")
    var cases = "exact:4:0,kernel:7:2048,lime:7:1000,deep:4:100"
    @Option(help: "Timed runs per case after one untimed run; the best is reported.") var repeats = 3

    func validate() throws {
        try FlagRange.check(index, FlagRange.index, flag: "--index")
        try FlagRange.check(repeats, FlagRange.repeats, flag: "--repeats")
        _ = try parsedCases()
    }

    /// `--cases` as (method, grid, samples); a background (deep, gradient-shap) of at most 10,000 images.
    func parsedCases() throws -> [(method: String, grid: Int, samples: Int)] {
        try cases.split(separator: ",").map { item in
            let parts = item.split(separator: ":").map(String.init)
            guard parts.count == 3, let grid = Int(parts[1]), let samples = Int(parts[2]), (1...64).contains(grid),
                  (0...(["deep", "gradient-shap"].contains(parts[0]) ? 10_000 : ExplanationRequest.sampleRange.upperBound)).contains(samples) else {
                throw ValidationError("--cases takes method:grid:samples items with grid 1 to 64 and samples 0 to 2^24 (10,000 background images for deep and gradient-shap) (got \(item))")
            }
            return (parts[0], grid, samples)
        }
    }

    func run() throws {
        let model = try modelOptions.load()
        let dataset = try dataOptions.load()
        let backend = try deviceOptions.backend()
        let index = try checkedRange(first: self.index, count: 1, available: dataset.testCount, what: "test image").lowerBound
        try reportingErrors {
            let size = dataset.rows * dataset.columns
            let input = Array(dataset.testImages[(index * size)..<((index + 1) * size)])
            let session = try InferenceSession(model: model, backend: backend)
            let probabilities = try session.predict(input)
            let target = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
            var results: [String: Any] = [:]
            for (method, grid, samples) in try parsedCases() {
                // deep and gradient-shap draw their background from the training images, seeded.
                let background = ["deep", "gradient-shap"].contains(method) ? dataset.trainingSample(count: max(samples, 1), seed: 0) : []
                let explainer = try ExplanationMethods.make(method, background: background)
                let request = try ExplanationRequest(session: session, input: input, baseline: [Float](repeating: 0, count: size),
                                                     segmentation: try Segmentation.grid(grid, width: dataset.columns, height: dataset.rows),
                                                     target: target, samples: samples > 0 && method != "deep" ? samples : nil, seed: 0)
                // Runs with and without standard errors alternate, so that both see the same machine.
                var bare = request
                bare.computesStandardErrors = false
                var explanation = try explainer.explain(request)
                _ = try explainer.explain(bare)
                var best = explanation.seconds, bestBare = Double.infinity
                for _ in 0..<repeats {
                    explanation = try explainer.explain(request)
                    best = min(best, explanation.seconds)
                    bestBare = min(bestBare, try explainer.explain(bare).seconds)
                }
                results[method] = ["seconds": best, "seconds_without_std_errors": bestBare, "std_error_overhead": best / bestBare - 1,
                                   "grid": grid, "evaluations": explanation.samples, "values": explanation.values] as [String: Any]
            }
            let object: [String: Any] = ["framework": "glassbox", "backend": backend.name, "kernels": kernelParameters(backend), "index": index, "target": target, "methods": results]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}

/// Which kernel parameters a benchmark ran: `defaults`, `tuned: name=value ...`, or `reference`
/// for the CPU reference backend.
func kernelParameters(_ backend: any Backend) -> String {
    guard let openCL = backend as? OpenCLBackend else { return "reference" }
    switch openCL.tuningSource {
    case .cache, .given:
        let changed = openCL.tuning.differencesFromDefaults
        return changed.isEmpty ? "tuned: the defaults won" : "tuned: " + changed.joined(separator: " ")
    case .defaults, .defaultsCacheIgnored:
        return "defaults"
    }
}
