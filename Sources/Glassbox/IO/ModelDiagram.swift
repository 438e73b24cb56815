import Foundation

/// A layer diagram of a ``Sequential`` model like Keras's `plot_model(show_shapes=True)`: one box
/// per layer with its name, type, and input and output shapes, top to bottom.
public enum ModelDiagram {
    /// The diagram in Graphviz's DOT language.
    public static func dot(_ model: Sequential) -> String {
        func shape(_ dimensions: [Int]) -> String { "(None, " + dimensions.map(String.init).joined(separator: ", ") + ")" }
        var lines = [
            "digraph model {",
            "    graph [rankdir=TB, fontname=\"Helvetica\"];",
            "    node [shape=record, fontname=\"Helvetica\", fontsize=11, style=filled, fillcolor=\"#f4f6fb\"];",
            "    input [label=\"{input | Input | \(shape(model.inputShape))}\"];",
        ]
        let names = model.layerNames
        var inputShape = model.inputShape
        for (index, layer) in model.layers.enumerated() {
            var title = "\(names[index]) | \(layer.typeName)"
            if let activation = layer.configuration.activation, activation != "linear" { title += " (\(activation))" }
            let parameters = model.parameterCounts[index]
            let counts = parameters > 0 ? " | params: \(Sequential.grouped(parameters))" : ""
            lines.append("    layer\(index) [label=\"{\(title) | {input: | output:} | {\(shape(inputShape)) | \(shape(model.outputShapes[index]))}\(counts)}\"];")
            lines.append("    \(index == 0 ? "input" : "layer\(index - 1)") -> layer\(index);")
            inputShape = model.outputShapes[index]
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the diagram to `url`: DOT text for `.dot`, or a picture rendered by Graphviz's `dot`
    /// for `.png` and `.svg`. The file is written atomically.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for another extension or
    ///   when `dot` is missing or fails.
    public static func write(_ model: Sequential, to url: URL) throws {
        let text = dot(model)
        let format = url.pathExtension.lowercased()
        switch format {
        case "dot", "gv":
            try AtomicFile.write(Data(text.utf8), to: url)
        case "png", "svg", "pdf":
            try AtomicFile.write(try render(text, format: format), to: url)
        default:
            throw GlassboxError.invalidArgument(operation: "plot", reason: "unknown output type '.\(format)' of \(url.path): use .png, .svg, .pdf or .dot")
        }
    }

    /// Runs `dot -T<format>` on the text and returns its output.
    static func render(_ text: String, format: String) throws -> Data {
        let candidates = ["/usr/bin/dot", "/usr/local/bin/dot"]
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw GlassboxError.invalidArgument(operation: "plot",
                reason: "Graphviz 'dot' was not found (apt-get install graphviz), or write a .dot file instead")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-T\(format)"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, !result.isEmpty else {
            throw GlassboxError.invalidArgument(operation: "plot",
                reason: "dot -T\(format) failed (status \(process.terminationStatus)): \(String(decoding: messages, as: UTF8.self))")
        }
        return result
    }
}
