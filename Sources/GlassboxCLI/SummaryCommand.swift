import Foundation
import ArgumentParser
import Glassbox

/// `glassbox summary`: Keras's `model.summary()`.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "summary", abstract: "Print a model's layers, output shapes and parameter counts.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "text (Keras's table) or json (every layer's name, class, output shape and parameter count, and the totals).")
    var format = "text"

    func validate() throws {
        guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json (got \(format))") }
    }

    func run() throws {
        let model = try modelOptions.load()
        guard format == "json" else { return print(model.summary()) }
        // total_params as Keras's count_params(): every weight, trainable or not.
        let names = model.layerNames, counts = model.parameterCounts
        let layers = model.layers.indices.map { index -> [String: Any] in
            ["name": names[index], "class": model.layers[index].typeName,
             "inputs": model.layerInputs[index].map { $0 < 0 ? Sequential.inputName : names[$0] },
             "output_shape": [NSNull()] + model.outputShapes[index].map { $0 as Any }, "params": counts[index]]
        }
        let trainable = model.trainableParameterCount
        let object: [String: Any] = ["input_shape": [NSNull()] + model.inputShape.map { $0 as Any }, "layers": layers,
                                     "total_params": model.parameterCount, "trainable_params": trainable,
                                     "non_trainable_params": model.parameterCount - trainable]
        print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
    }
}

/// `glassbox plot`: Keras's `plot_model(show_shapes=True)`.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plot", abstract: "Draw a model's layers with their shapes (.png, .svg, .pdf via Graphviz, or .dot).")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The picture to write: model.png, model.svg, model.pdf or model.dot.")
    var out: String

    func validate() throws {
        try FlagRange.checkPath(out, flag: "--out")
        try FlagRange.checkDiagramExtension(out)
    }

    func run() throws {
        try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)], inputs: [OutputFiles.Entry(flag: "--model", path: modelOptions.model)])
        let model = try modelOptions.load()
        try reportingErrors { try ModelDiagram.write(model, to: URL(fileURLWithPath: out)) }
        print("diagram: \(out)")
    }
}

import Foundation
