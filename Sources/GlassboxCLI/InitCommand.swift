import ArgumentParser
import Foundation
import Glassbox

/// `glassbox init`: a model file with Keras-initialised, untrained weights for an architecture
/// read from Keras's model JSON.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init",
        abstract: "Write an untrained model (Glorot-uniform kernels, zero biases) for a Keras model JSON architecture.")

    @Option(help: "Keras's model JSON (model.to_json()), Sequential or Functional; see examples/.")
    var architecture: String

    @Option(help: "Seed of the initial weights.")
    var seed: UInt64 = 0

    @OptionGroup var output: NewModelOptions

    func validate() throws {
        try FlagRange.checkPath(architecture, flag: "--architecture")
    }

    func run() throws {
        try output.checkOutput(against: OutputFiles.Entry(flag: "--architecture", path: architecture))
        try reportingErrors { try output.save(try KerasArchitecture.model(from: URL(fileURLWithPath: architecture), seed: seed)) }
    }
}
