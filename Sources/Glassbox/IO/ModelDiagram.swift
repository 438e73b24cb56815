import Foundation

/// A layer diagram of a ``Sequential`` model like Keras's `plot_model(show_shapes=True)`: one box
/// per layer with its name, type, and input and output shapes, top to bottom, and an arrow for
/// every connection labelled with the shape it carries (a graph's branches drawn as branches).
public enum ModelDiagram {
    /// The diagram in Graphviz's DOT language.
    public static func dot(_ model: Sequential) -> String {
        func shape(_ dimensions: [Int]) -> String { "(None, " + dimensions.map(String.init).joined(separator: ", ") + ")" }
        var lines = [
            "digraph model {",
            "    graph [rankdir=TB, fontname=\"Helvetica\"];",
            "    node [shape=record, fontname=\"Helvetica\", fontsize=11, style=filled, fillcolor=\"#f4f6fb\"];",
            "    edge [fontname=\"Helvetica\", fontsize=9];",
            "    input [label=\"{input | Input | \(shape(model.inputShape))}\"];",
        ]
        let names = model.layerNames, counts = model.parameterCounts
        for (index, layer) in model.layers.enumerated() {
            let inputShapes = model.inputShapes(of: index)
            let inputShape = inputShapes.count == 1 ? shape(inputShapes[0]) : inputShapes.map(shape).joined(separator: ", ")
            var title = "\(names[index]) | \(layer.typeName)"
            if let activation = layer.configuration.activation, activation != "linear" { title += " (\(activation))" }
            let parameters = counts[index]
            let counts = parameters > 0 ? " | params: \(Sequential.grouped(parameters))" : ""
            lines.append("    layer\(index) [label=\"{\(title) | {input: | output:} | {\(inputShape) | \(shape(model.outputShapes[index]))}\(counts)}\"];")
            for (source, sourceShape) in zip(model.layerInputs[index], inputShapes) {
                lines.append("    \(source < 0 ? "input" : "layer\(source)") -> layer\(index) [label=\" \(shape(sourceShape))\"];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the diagram to `url`: DOT text for `.dot`, or a picture rendered by Graphviz's `dot`
    /// for `.png`, `.svg` and `.pdf`. The file is written atomically.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for another extension or
    ///   when `dot` is missing or fails.
    public static func write(_ model: Sequential, to url: URL) throws {
        try Graphviz.write(dot(model), to: url, operation: "plot")
    }
}
