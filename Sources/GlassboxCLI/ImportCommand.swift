import ArgumentParser
import Foundation
import Glassbox

/// `glassbox import`: an ONNX model (PyTorch's `torch.onnx.export`, Keras's `model.export`) or a
/// Keras 3 `.keras` file as a Glassbox model file.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Convert an ONNX model (opset 13 or newer) or a Keras 3 .keras file into a Glassbox model file.")

    @Argument(help: "The .onnx or .keras file.")
    var source: String

    @OptionGroup var output: NewModelOptions

    func validate() throws {
        try FlagRange.checkPath(source, flag: "the model to import")
        guard ForeignModel.isForeign(source) else { throw ValidationError("\(source): import reads .onnx and .keras files") }
    }

    func run() throws {
        try output.checkOutput(against: OutputFiles.Entry(flag: "the model to import", path: source))
        try reportingErrors { try output.save(try ForeignModel.load(from: URL(fileURLWithPath: source))) }
    }
}
