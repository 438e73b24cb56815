import Foundation
import ArgumentParser
import Glassbox

/// `glassbox summary`: Keras's `model.summary()`.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "summary", abstract: "Print a model's layers, output shapes and parameter counts.")

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        print(try modelOptions.load().summary())
    }
}

/// `glassbox plot`: Keras's `plot_model(show_shapes=True)`.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plot", abstract: "Draw a model's layers with their shapes (.png, .svg, .pdf via Graphviz, or .dot).")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The picture to write: model.png, model.svg, model.pdf or model.dot.")
    var out: String

    func validate() throws { try FlagRange.checkPath(out, flag: "--out") }

    func run() throws {
        try checkOutputs([OutputFiles.Entry(flag: "--out", path: out)], inputs: [OutputFiles.Entry(flag: "--model", path: modelOptions.model)])
        let model = try modelOptions.load()
        try reportingErrors { try ModelDiagram.write(model, to: URL(fileURLWithPath: out)) }
        print("diagram: \(out)")
    }
}

import Foundation
