extension Sequential {
    /// A table like Keras's `model.summary()`: each layer's name and type, output shape (with
    /// `None` for the batch) and parameter count, and for a graph the layers it reads (Keras's
    /// "Connected to"), then the totals.
    public func summary() -> String {
        let counts = parameterCounts   // computed: once, not once per row
        let chain = isChain
        let rows = zip(layerNames, layers).enumerated().map { index, pair in
            ["\(pair.0) (\(pair.1.typeName))",
             "(None, " + outputShapes[index].map(String.init).joined(separator: ", ") + ")",
             Self.grouped(counts[index])]
                + (chain ? [] : [layerInputs[index].map { $0 < 0 ? Self.inputName : layerNames[$0] }.joined(separator: ", ")])
        }
        let header = ["Layer (type)", "Output Shape", "Param #"] + (chain ? [] : ["Connected to"])
        let widths = header.indices.map { column in max(header[column].count, rows.map { $0[column].count }.max() ?? 0) + 4 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined()
                .trimmingCharacters(in: .whitespaces)
        }
        let rule = String(repeating: "━", count: widths.reduce(0, +))
        var lines = ["Model: \"\(chain ? "sequential" : "functional")\"", rule, line(header), rule]
        for row in rows { lines.append(line(row)) }
        lines.append(rule)
        lines.append("Total params: \(Self.grouped(parameterCount))")
        let trainable = trainableParameterCount
        lines.append("Trainable params: \(Self.grouped(trainable))")
        lines.append("Non-trainable params: \(Self.grouped(parameterCount - trainable))")
        return lines.joined(separator: "\n")
    }

    /// 693962 -> "693,962".
    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return result
    }
}

import Foundation
