import ArgumentParser
import Foundation
import Glassbox

/// `glassbox init`: a model file with Keras-initialised, untrained weights for an architecture
/// read from Keras's model JSON.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init",
        abstract: "Write an untrained model (Glorot-uniform kernels, zero biases) for a Keras model JSON architecture.")

    @Option(help: "Keras's model JSON (model.to_json()), Sequential or a Functional chain; see examples/.")
    var architecture: String

    @Option(help: "Seed of the initial weights.")
    var seed: UInt64 = 0

    @Option(help: "A file of class names, one per line, saved in the model.")
    var classes: String?

    @Option(help: "Where the model goes.")
    var out = "model.safetensors"

    func validate() throws {
        try FlagRange.checkPath(architecture, flag: "--architecture")
        try FlagRange.checkPath(out, flag: "--out")
        try FlagRange.checkPath(classes, flag: "--classes")
    }

    func run() throws {
        try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)],
                         inputs: [OutputFiles.Entry(flag: "--architecture", path: architecture)] + InputFiles.entry(classes, flag: "--classes"))
        try reportingErrors {
            var model = try KerasArchitecture.model(from: URL(fileURLWithPath: architecture), seed: seed)
            if let classes { model.classNames = try Dataset.readClassNames(URL(fileURLWithPath: classes)) }
            try model.save(to: URL(fileURLWithPath: out))
            print(model.summary())
            print("model: \(out)")
        }
    }
}
