import ArgumentParser
import Foundation
import Glassbox

/// `glassbox train`: the reference CNN on an IDX data set, Keras-style.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the reference CNN (Conv2D 32 3x3 relu, MaxPool 2x2, Dense 128 relu, Dense softmax), or --architecture, with Adam."
    )

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "Keras's model JSON (model.to_json()) of the model to train (default: the reference CNN); see examples/.")
    var architecture: String?

    @Option(help: "Epochs to train up to (with --resume, counting those already done).")
    var epochs = 5

    @Option(help: "Samples per mini-batch (default 32; with --resume, the checkpoint's).")
    var batchSize: Int?

    @Option(help: "Seed of the initial weights, the shuffles and dropout (default 0; with --resume, the checkpoint's).")
    var seed: UInt64?

    @Option(help: "Where the model goes; it is also rewritten (atomically) after every epoch as a checkpoint.")
    var out = "model.safetensors"

    @Flag(help: "Continue from the checkpoint at --out, optimizer state included.")
    var resume = false

    @Option(help: "Optimizer: adam or sgd (default adam; with --resume, the checkpoint's).")
    var optimizer: String?

    @Option(help: "Learning rate (default: 0.001 for adam, 0.01 for sgd).")
    var learningRate: Float?

    @Option(help: "Fraction of the training data held out for validation (0 for none).")
    var validationSplit = 0.0

    @Option(help: "Train on only the first N training images (for quick runs).")
    var limit: Int?

    @Option(help: "For a CSV table (--data file.csv or breast-cancer): the label column (default: the last).")
    var label: String?

    @Option(help: "For a CSV table: the share of rows held out as the test part (seeded by --seed; default 0.2).")
    var testSplit: Double?

    @Option(help: "For a CSV table: a second CSV file (same columns) as the test part instead of --test-split.")
    var testData: String?

    @Option(help: "Check that the loss stays finite after each of the first N steps (0: only at epoch ends).")
    var checkNumericsSteps = 100

    @Flag(help: "Check that the loss stays finite after every step.")
    var checkNumerics = false

    func validate() throws {
        try FlagRange.check(epochs, TrainingLimits.epochs, flag: "--epochs")
        if let batchSize { try FlagRange.check(batchSize, TrainingLimits.batchSize, flag: "--batch-size") }
        if let optimizer, !["adam", "sgd"].contains(optimizer) { throw ValidationError("--optimizer must be adam or sgd (got \(optimizer))") }
        if resume {
            // The checkpoint carries these: a flag that would be ignored is refused instead.
            let given = [("--batch-size", batchSize != nil), ("--seed", seed != nil), ("--optimizer", optimizer != nil),
                         ("--learning-rate", learningRate != nil)].filter(\.1).map(\.0)
            if !given.isEmpty {
                throw ValidationError("--resume continues with the checkpoint's batch size, seed, optimizer and learning rate; drop \(given.joined(separator: ", "))")
            }
        }
        guard validationSplit.isFinite, (0..<1).contains(validationSplit) else {
            throw ValidationError("--validation-split must be in [0, 1) (got \(validationSplit))")
        }
        if let limit { try FlagRange.check(limit, FlagRange.count, flag: "--limit") }
        if let learningRate {
            do { try TrainingLimits.checkLearningRate(learningRate, "--learning-rate") } catch { throw ValidationError("\(error)") }
        }
        try FlagRange.check(checkNumericsSteps, 0...Int(Int32.max), flag: "--check-numerics-steps")
        try FlagRange.checkPath(out, flag: "--out")
        try FlagRange.checkPath(architecture, flag: "--architecture")
        if resume && architecture != nil { throw ValidationError("--resume continues the checkpoint's own architecture: give --architecture or --resume, not both") }
        try FlagRange.checkPath(dataOptions.classes, flag: "--classes")
        try FlagRange.checkPath(testData, flag: "--test-data")
        if let testSplit, !(testSplit.isFinite && testSplit > 0 && testSplit < 1) {
            throw ValidationError("--test-split must be between 0 and 1 (got \(testSplit))")
        }
        if testSplit != nil && testData != nil { throw ValidationError("give --test-split or --test-data, not both") }
        let tableFlags = [("--label", label != nil), ("--test-split", testSplit != nil), ("--test-data", testData != nil)].filter(\.1).map(\.0)
        if !TabularFile.isTable(dataOptions.data) && !tableFlags.isEmpty {
            throw ValidationError("\(tableFlags.joined(separator: ", ")) \(tableFlags.count == 1 ? "applies" : "apply") to a CSV table (--data file.csv or breast-cancer), not to \(dataOptions.data)")
        }
    }

    func run() throws {
        let cluster = Cluster.communicator
        if TabularFile.isTable(dataOptions.data) {
            guard cluster.size == 1 else {
                throw CommandFailure(message: "train runs data-parallel over mpirun's ranks on image data; a CSV table trains as one process")
            }
            return try trainOnTable()
        }
        // Before any work: --out must be writable and must not be one of the data files, and no
        // other process may be writing it. Under mpirun, rank 0 alone writes it.
        try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)],
                         inputs: InputFiles.data(dataOptions.data, classes: dataOptions.classes) + InputFiles.entry(architecture, flag: "--architecture"))
        let lock = cluster.isRoot ? try reportingErrors { try WriterLock(for: out) } : nil
        defer { lock?.release() }
        let backend = try deviceOptions.backend()
        var dataset = try dataOptions.load()
        let outURL = URL(fileURLWithPath: out)
        // Rank 0 makes or loads the model and sends it to the others (which need no checkpoint).
        var model: Sequential? = !cluster.isRoot ? nil : try reportingErrors {
            if resume {
                guard FileManager.default.fileExists(atPath: outURL.path) else {
                    throw ValidationError("--resume: no checkpoint at \(out)")
                }
                let loaded = try Sequential.load(from: outURL)
                guard let state = loaded.training else { throw ValidationError("--resume: \(out) holds no training state") }
                // The checkpoint's settings obey the rules of the flags they stand in for.
                try TrainingLimits.check(state, source: "--resume \(out): metadata 'training'")
                return loaded
            }
            let seed = self.seed ?? 0
            var model = try architecture.map { try KerasArchitecture.model(from: URL(fileURLWithPath: $0), seed: seed) }
                ?? Sequential.referenceCNN(inputShape: dataset.imageShape, classes: dataset.classNames.count, seed: seed)
            let chosen: Optimizer = optimizer == "sgd"
                ? .sgd(learningRate: learningRate ?? 0.01)
                : .adam(AdamHyperparameters(learningRate: learningRate ?? 0.001))
            try model.compile(optimizer: chosen, loss: .sparseCategoricalCrossentropy, seed: seed)
            return model
        }
        if cluster.size > 1 { model = try reportingErrors { try cluster.broadcast(model, from: 0) } }
        guard var model else { throw CommandFailure(message: "train: no model") }
        if let channels = model.imageChannels, channels != dataset.channels { dataset = try dataOptions.load(for: model) }
        guard model.inputShape == dataset.imageShape else {
            throw CommandFailure(GlassboxError.invalidArgument(operation: "train",
                reason: "the model takes \(model.inputShape) images but \(dataOptions.data) has \(dataset.imageShape)"))
        }
        // Every label, training and test, must be one of the model's classes before any epoch
        // runs: finding out at the final evaluation would have replaced the checkpoint already.
        let classes = model.outputCount
        for (labels, split) in [(dataset.trainLabels, "training"), (dataset.testLabels, "test")] {
            if let bad = labels.firstIndex(where: { $0 >= Float(classes) }) {
                throw CommandFailure(GlassboxError.invalidArgument(operation: "train",
                    reason: "\(split) image \(bad) of \(dataOptions.data) has label \(Int(labels[bad])), but the model has \(classes) classes (0 to \(classes - 1))"))
            }
        }
        if let state = model.training { try reportingErrors { try model.checkLossFits(state.loss, operation: "--resume \(out)") } }
        model.classNames = dataset.classNames
        let count = min(limit ?? dataset.trainCount, dataset.trainCount)
        let x = limit == nil ? dataset.trainImages : Array(dataset.trainImages[..<(count * dataset.imageSize)])
        let y = limit == nil ? dataset.trainLabels : Array(dataset.trainLabels[..<count])
        let done = model.training?.epochsCompleted ?? 0
        if !cluster.isRoot { quietStandardOutput() }
        if cluster.size > 1 {
            print("data-parallel over \(cluster.size) ranks: each step's \(model.training?.batchSize ?? batchSize ?? 32) samples split between them")
        }
        if resume, let state = model.training {
            print("resuming \(out) after epoch \(done): its batch size \(state.batchSize ?? 32), seed \(state.seed) and optimizer \(state.optimizer.name) are kept")
        }
        print("backend: \(backend.name)")
        print("data: \(dataset.name), \(count) training and \(dataset.testCount) test images of \(dataset.rows)x\(dataset.columns)\(dataset.channels == 3 ? " RGB" : "")")
        try fitAndSave(&model, x: x, y: y, testX: dataset.testImages, testY: dataset.testLabels, backend: backend, outURL: outURL)
    }

    /// Trains `model` up to `--epochs` (saving a checkpoint after every epoch), then reports the
    /// test accuracy and saves the final model: the part every kind of data shares.
    func fitAndSave(_ model: inout Sequential, x: [Float], y: [Float], testX: [Float], testY: [Float], backend: any Backend,
                    outURL: URL) throws {
        let done = model.training?.epochsCompleted ?? 0
        if done >= epochs { print("already trained for \(done) epochs (--epochs \(epochs)); nothing to do") }
        let bar = ProgressBar()
        var announced = done
        let opencl = backend as? OpenCLBackend
        let (stepsBefore, launchesBefore) = (model.training?.step ?? 0, opencl?.profiledLaunches ?? 0)
        try reportingErrors {
            try model.fit(x: x, y: y, epochs: epochs, batchSize: resume ? (model.training?.batchSize ?? 32) : (batchSize ?? 32),
                          validation: validationSplit > 0 ? .split(validationSplit) : .none, backend: backend,
                          checkNumerics: checkNumerics ? .always : checkNumericsSteps == 0 ? .off : .firstSteps(checkNumericsSteps),
                          communicator: Cluster.communicator,
                          progress: { step in
                              guard Cluster.communicator.isRoot else { return }
                              if step.epoch > announced { bar.epochStarted(step.epoch, of: epochs); announced = step.epoch }
                              bar.update(step)
                          },
                          onEpochEnd: { report, snapshot in
                              // Checkpoints from rank 0 only (every rank holds the same weights).
                              guard Cluster.communicator.isRoot else { return }
                              if report.epoch > announced { bar.epochStarted(report.epoch, of: epochs); announced = report.epoch }
                              bar.epochEnded(report)
                              if Cluster.communicator.size > 1 {
                                  print(String(format: "epoch %d: %.1f of %.1f s summing gradients over %d ranks, waiting for the slowest included (%.2f ms per step)", report.epoch,
                                               report.communicationSeconds, report.seconds, Cluster.communicator.size,
                                               1000 * report.communicationSeconds / Double(max(report.steps, 1))))
                              }
                              try snapshot.save(to: outURL)
                          })
            // With GLASSBOX_PROFILE=1: kernel launches per training step (forward, backward,
            // optimizer and the per-epoch checks, averaged over the run's steps).
            if let launches = opencl?.profiledLaunches, let steps = model.training.map({ $0.step - stepsBefore }), steps > 0 {
                FileHandle.standardError.write(Data(String(format: "launches per training step: %.1f (%d launches over %d steps)\n",
                                                           Double(launches - launchesBefore) / Double(steps), launches - launchesBefore, steps).utf8))
            }
            guard Cluster.communicator.isRoot else { return }
            let (loss, accuracy) = try model.evaluate(x: testX, y: testY, backend: backend)
            print("test accuracy: \(String(format: "%.4f", accuracy)) - test loss: \(String(format: "%.4f", loss))")
            try model.save(to: outURL)
            print("model: \(out)")
            printProfile(backend)
        }
    }
}
