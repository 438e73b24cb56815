import ArgumentParser
import Foundation
import Glassbox

/// `glassbox surrogate`: a global decision tree that mimics the model.
struct SurrogateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "surrogate",
        abstract: "Fit a CART decision tree to the model's predictions on the test images or a table's rows; print its rules and fidelity.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "Features: blocks:G (mean intensity of a G x G grid of blocks) or pixels.") var features = "blocks:7"
    @Option(help: "predicted (classification of the predicted class) or a class index (regression on its probability).") var target = "predicted"
    @Flag(help: "A regression tree of the probability of --target's class (default: the last class), as scikit-learn's DecisionTreeRegressor on model.predict, scored by R^2.")
    var regression = false
    @Option(help: "Maximum depth of the tree.") var maxDepth = 5
    @Option(help: "Minimum images per leaf.") var minLeaf = 5
    @Option(help: "How many test images (or table rows) to use (training and held-out).") var count = 2000
    @Option(help: "Fraction of the images held out to measure fidelity.") var heldOut = 0.2
    @Option(help: "Seed of the split between training and held-out images.") var seed: UInt64 = 0
    @Option(help: "Write the tree as a Graphviz diagram (.dot, .png, .svg or .pdf).") var out: String?

    func validate() throws {
        try FlagRange.check(maxDepth, FlagRange.treeDepth, flag: "--max-depth")
        try FlagRange.check(count, 2...FlagRange.count.upperBound, flag: "--count")
        try FlagRange.check(minLeaf, 1...count, flag: "--min-leaf")
        guard heldOut.isFinite, heldOut > 0, heldOut < 1 else { throw ValidationError("--held-out must be between 0 and 1 (got \(heldOut))") }
        if target != "predicted" && Int(target) == nil { throw ValidationError("--target must be 'predicted' or a class index (got \(target))") }
        try FlagRange.checkPath(out, flag: "--out")
        if let out { try FlagRange.checkDiagramExtension(out) }
        _ = try featureKind()
    }

    func featureKind() throws -> SurrogateFeatures {
        if features == "pixels" { return .pixels }
        guard features.hasPrefix("blocks:"), let grid = Int(features.dropFirst(7)), grid >= 1 else {
            throw ValidationError("--features must be blocks:G with G >= 1, or pixels (got \(features))")
        }
        return .pooledBlocks(grid: grid)
    }

    /// The tree's target: the predicted class, or the probability of one class.
    func treeTarget(classes: Int) -> SurrogateTarget {
        if let index = Int(target) { return .probability(ofClass: index) }
        return regression ? .probability(ofClass: classes - 1) : .predictedClass
    }

    func run() throws {
        if TabularFile.isTable(dataOptions.data) { return try runOnTable() }
        if let out {
            try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)],
                             inputs: [OutputFiles.Entry(flag: "--model", path: modelOptions.model)] + InputFiles.data(dataOptions.data, classes: dataOptions.classes))
        }
        let model = try modelOptions.load()
        let dataset = try dataOptions.load(for: model)
        let backend = try deviceOptions.backend()
        try reportingErrors {
            let featureKind = try self.featureKind()
            let used = min(count, dataset.testCount)
            if used < count {
                FileHandle.standardError.write(Data("surrogate: --count \(count) but the data has \(dataset.testCount) test images; using all \(used)\n".utf8))
            }
            let size = dataset.imageSize
            let tree = try SurrogateTree.fit(session: try InferenceSession(model: model, backend: backend),
                                             images: Array(dataset.testImages[..<(used * size)]), count: used, features: featureKind,
                                             target: treeTarget(classes: model.outputCount),
                                             maxDepth: maxDepth, minLeaf: minLeaf, heldOutFraction: heldOut, seed: seed)
            let names = model.classNames ?? dataset.classNames
            print(tree.rules(classNames: names))
            print("fidelity on \(tree.heldOutCount) held-out images: \(String(format: "%.4f", tree.fidelity))"
                  + (treeTarget(classes: model.outputCount) == .predictedClass ? " (agreement with the model)" : " (R^2 of the probability)")
                  + "; depth \(tree.depth), \(tree.leafCount) leaves, \(tree.trainingCount) training images")
            if let out {
                try Graphviz.write(tree.dot(classNames: names), to: URL(fileURLWithPath: out), operation: "surrogate")
                print("diagram: \(out)")
            }
        }
    }

    /// `surrogate --data file.csv`: the tree over the table's rows, splitting on its columns by
    /// name in the file's units.
    func runOnTable() throws {
        if let out {
            try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)],
                             inputs: [OutputFiles.Entry(flag: "--model", path: modelOptions.model)]
                                + (dataOptions.data == TabularFile.breastCancerName ? [] : [OutputFiles.Entry(flag: "--data", path: dataOptions.data)]))
        }
        if features != "blocks:7" { throw ValidationError("--features is for images; a table's tree splits on its columns") }
        let model = try modelOptions.load()
        let (file, schema, (rows, _, _)) = try TableRows.load(for: model, data: dataOptions.data, operation: "surrogate")
        let backend = try deviceOptions.backend()
        try reportingErrors {
            let f = schema.featureNames.count, available = rows.count / f
            let used = min(count, available)
            guard used >= 2 else { throw GlassboxError.invalidArgument(operation: "surrogate", reason: "\(dataOptions.data) has \(available) rows; a tree needs 2") }
            let treeTarget = treeTarget(classes: model.outputCount)
            let tree = try SurrogateTree.fit(session: try InferenceSession(model: model, backend: backend), images: Array(rows[..<(used * f)]),
                                             count: used, features: .columns(names: schema.featureNames, scale: schema.scale, offset: schema.mean),
                                             target: treeTarget, maxDepth: maxDepth, minLeaf: minLeaf, heldOutFraction: heldOut, seed: seed)
            let names = model.classNames ?? file.classNames
            print(tree.rules(classNames: names))
            print("fidelity on \(tree.heldOutCount) held-out rows: \(String(format: "%.4f", tree.fidelity))"
                  + (treeTarget == .predictedClass ? " (agreement with the model)" : " (R^2 of the probability)")
                  + "; depth \(tree.depth), \(tree.leafCount) leaves, \(tree.trainingCount) training rows")
            if let out {
                try Graphviz.write(tree.dot(classNames: names), to: URL(fileURLWithPath: out), operation: "surrogate")
                print("diagram: \(out)")
            }
        }
    }
}
