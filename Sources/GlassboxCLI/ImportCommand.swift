import ArgumentParser
import Foundation
import Glassbox

/// `glassbox import`: an ONNX model (PyTorch's `torch.onnx.export`) as a Glassbox model file.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Convert an ONNX model (opset 13 or newer) into a Glassbox model file.")

    @Argument(help: "The ONNX file.")
    var source: String

    @OptionGroup var output: NewModelOptions

    func validate() throws {
        try FlagRange.checkPath(source, flag: "the ONNX file")
        guard source.lowercased().hasSuffix(".onnx") else { throw ValidationError("\(source): import reads .onnx files") }
    }

    func run() throws {
        try output.checkOutput(against: OutputFiles.Entry(flag: "the ONNX file", path: source))
        try reportingErrors { try output.save(try ONNXImport.model(from: URL(fileURLWithPath: source))) }
    }
}
