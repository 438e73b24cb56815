import ArgumentParser
import Foundation
import Glassbox

/// `glassbox surrogate`: a global decision tree that mimics the model.
struct SurrogateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "surrogate",
        abstract: "Fit a CART decision tree to the model's predictions on the test images; print its rules and fidelity.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "Features: blocks:G (mean intensity of a G x G grid of blocks) or pixels.") var features = "blocks:7"
    @Option(help: "predicted (classification of the predicted class) or a class index (regression on its probability).") var target = "predicted"
    @Option(help: "Maximum depth of the tree.") var maxDepth = 5
    @Option(help: "Minimum images per leaf.") var minLeaf = 5
    @Option(help: "How many test images to use (training and held-out).") var count = 2000
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

    func run() throws {
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
                                             target: target == "predicted" ? .predictedClass : .probability(ofClass: Int(target)!),
                                             maxDepth: maxDepth, minLeaf: minLeaf, heldOutFraction: heldOut, seed: seed)
            let names = model.classNames ?? dataset.classNames
            print(tree.rules(classNames: names))
            print("fidelity on \(tree.heldOutCount) held-out images: \(String(format: "%.4f", tree.fidelity))"
                  + (target == "predicted" ? " (agreement with the model)" : " (R^2 of the probability)")
                  + "; depth \(tree.depth), \(tree.leafCount) leaves, \(tree.trainingCount) training images")
            if let out {
                try Graphviz.write(tree.dot(classNames: names), to: URL(fileURLWithPath: out), operation: "surrogate")
                print("diagram: \(out)")
            }
        }
    }
}
