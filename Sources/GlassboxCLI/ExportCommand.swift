import ArgumentParser
import Foundation
import Glassbox

/// `glassbox export`: a model as an ONNX file that ONNX Runtime runs.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export",
        abstract: "Write a model as ONNX (opset 17; image models channel-first, as PyTorch's).")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The ONNX file to write.")
    var out = "model.onnx"

    func validate() throws {
        try FlagRange.checkPath(out, flag: "--out")
        guard out.lowercased().hasSuffix(".onnx") else { throw ValidationError("--out \(out): export writes .onnx files") }
    }

    func run() throws {
        try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)], inputs: [OutputFiles.Entry(flag: "--model", path: modelOptions.model)])
        let model = try modelOptions.load()
        try reportingErrors { try ONNXExport.write(model, to: URL(fileURLWithPath: out)) }
        let input = "[batch, " + ONNXExport.inputShape(of: model).map(String.init).joined(separator: ", ") + "]"
            + (ONNXExport.isChannelFirst(model) ? " (channel-first)" : "")
        print("onnx: \(out) (input \(input), output [batch, " + model.outputShapes.last!.map(String.init).joined(separator: ", ") + "])")
    }
}
