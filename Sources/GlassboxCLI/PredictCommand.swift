import ArgumentParser
import Foundation
import Glassbox

/// `glassbox predict`: class probabilities for test images or a user's own image.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "Class probabilities for test images (--data, --index) or an image file (--image).")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: "Folder with the IDX files; with --index, predicts test images.")
    var data: String?

    @Option(help: "The first test image.")
    var index: Int?

    @Option(help: "For a CSV table (--data file.csv or breast-cancer): the first row (0 = the first data row).")
    var row: Int?

    @Option(help: "How many test images from --index.")
    var count = 1

    @Option(help: "An 8-bit grayscale PNG or PGM of the model's input size.")
    var image: String?

    @Option(help: "A file of class names, one per line.")
    var classes: String?

    @Option(help: "text or json.")
    var format = "text"

    func validate() throws {
        guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json (got \(format))") }
        if let data, TabularFile.isTable(data) {
            guard index == nil, image == nil else { throw ValidationError("for a table (--data \(data)) give --row I, not --index or --image") }
            guard let row else { throw ValidationError("give --row I: the row of \(data) to predict (0 = the first data row)") }
            try FlagRange.check(row, FlagRange.index, flag: "--row")
            try FlagRange.check(count, FlagRange.count, flag: "--count")
            return
        }
        if row != nil { throw ValidationError("--row applies to a CSV table (--data file.csv or breast-cancer)") }
        if image != nil && (index != nil || data != nil) { throw ValidationError("give either --image FILE or --data DIR --index I, not both") }
        if image == nil && index == nil { throw ValidationError("give either --image FILE or --index I (with --data DIR)") }
        if let index { try FlagRange.check(index, FlagRange.index, flag: "--index") }
        try FlagRange.check(count, FlagRange.count, flag: "--count")
        try FlagRange.checkPath(image, flag: "--image")
        try FlagRange.checkPath(classes, flag: "--classes")
    }

    struct Row: Encodable {
        let index: Int?
        let image: String?
        let label: Int?
        let predicted: Int
        let probabilities: [Float]
    }

    /// A row as JSON: `output_shape` and `output` (nested as the shape) always; for an output of
    /// one class vector also `predicted` and the values under `probabilities`, or `scores` when
    /// the last layer is linear.
    struct OutputRow: Encodable {
        let row: Row
        let areProbabilities: Bool
        let outputShape: [Int]
        enum Keys: String, CodingKey { case index, image, label, predicted, probabilities, scores, output, outputShape = "output_shape" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeIfPresent(row.index, forKey: .index)
            try container.encodeIfPresent(row.image, forKey: .image)
            try container.encodeIfPresent(row.label, forKey: .label)
            try container.encode(outputShape, forKey: .outputShape)
            try container.encode(NestedValues(values: row.probabilities[...], shape: outputShape[...]), forKey: .output)
            guard outputShape.count == 1 else { return }
            try container.encode(row.predicted, forKey: .predicted)
            try container.encode(row.probabilities, forKey: areProbabilities ? .probabilities : .scores)
        }
    }

    /// Row-major values as nested JSON arrays of `shape`.
    struct NestedValues: Encodable {
        let values: ArraySlice<Float>
        let shape: ArraySlice<Int>

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            guard shape.count > 1 else { return try container.encode(contentsOf: values) }
            let stride = shape.dropFirst().reduce(1, *)
            for i in 0..<shape.first! {
                let start = values.startIndex + i * stride
                try container.encode(NestedValues(values: values[start..<(start + stride)], shape: shape.dropFirst()))
            }
        }
    }

    func run() throws {
        let model = try modelOptions.load()
        let backend = try deviceOptions.backend(samples: image != nil ? 1 : count)
        defer { printProfile(backend) }
        if let data, TabularFile.isTable(data) { return try predictTable(model: model, backend: backend, data: data) }
        let rows: [Row]
        var names = model.classNames
        if let image {
            guard let channels = model.imageChannels else {
                throw CommandFailure(GlassboxError.invalidArgument(operation: "predict",
                    reason: "--image needs a model of gray or RGB images ([height, width, 1 or 3]); this one takes \(model.inputShape)"))
            }
            let picture = try reportingErrors { try ImageFile.load(from: URL(fileURLWithPath: image), channels: channels) }
            guard model.inputShape == [picture.height, picture.width, channels] else {
                throw CommandFailure(GlassboxError.invalidArgument(operation: "predict",
                    reason: "\(image) is \(picture.width)x\(picture.height) but the model takes \(model.inputShape[1])x\(model.inputShape[0]) images"))
            }
            let probabilities = try reportingErrors { try model.predict(picture.values, backend: backend) }
            rows = [Row(index: nil, image: image, label: nil, predicted: Self.argmax(probabilities), probabilities: probabilities)]
        } else {
            let dataset = try DataOptions.load(folder: data ?? Dataset.defaultFolder, classes: classes, channels: model.imageChannels)
            if classes != nil || names == nil { names = dataset.classNames }
            let first = index!
            let last = try checkedRange(first: first, count: count, available: dataset.testCount, what: "test image").upperBound
            let size = dataset.imageSize
            guard model.inputShape == dataset.imageShape else {
                throw CommandFailure(GlassboxError.invalidArgument(operation: "predict",
                    reason: "the model takes \(model.inputShape) images but the data has \(dataset.imageShape)"))
            }
            let probabilities = try reportingErrors {
                try model.predict(Array(dataset.testImages[(first * size)..<(last * size)]), backend: backend)
            }
            let classCount = model.outputCount
            rows = (first..<last).map { (i: Int) -> Row in
                let p = Array(probabilities[((i - first) * classCount)..<((i - first + 1) * classCount)])
                let label = Int(dataset.testLabels[i])
                return Row(index: i, image: nil, label: label, predicted: Self.argmax(p), probabilities: p)
            }
        }
        if let classes {
            names = try reportingErrors { try Dataset.readClassNames(URL(fileURLWithPath: classes)) }
            let classCount = model.outputShapes.last!.last!
            guard names!.count == classCount else {
                throw CommandFailure(GlassboxError.invalidArgument(operation: "--classes",
                    reason: "\(classes) names \(names!.count) classes, but the model's output has \(classCount)"))
            }
        }
        // A model whose last layer is linear outputs scores (logits), not probabilities: say so.
        let heading: String
        switch model.outputActivation {
        case .softmax: heading = "probabilities"
        case .sigmoid: heading = "probabilities of each class on its own (sigmoid: they need not sum to 1)"
        case .linear: heading = "scores (the last layer is linear: logits, not probabilities)"
        case let other: heading = "scores (the last layer's activation is \(other.rawValue): not probabilities)"
        }
        if format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let shape = model.outputShapes.last!
            print(String(decoding: try encoder.encode(rows.map { OutputRow(row: $0, areProbabilities: model.endsInSoftmax, outputShape: shape) }),
                         as: UTF8.self))
            return
        }
        if model.outputShapes.last!.count > 1 { return printRows(rows, model: model, names: names) }
        func name(_ index: Int) -> String {
            guard let names, names.indices.contains(index) else { return "class \(index)" }
            return "\(names[index]) (\(index))"
        }
        for row in rows {
            var head = row.index.map { "test image \($0)" } ?? row.image!
            head += ": predicted \(name(row.predicted))"
            if let label = row.label { head += ", label \(name(label))\(label == row.predicted ? "" : "  <- wrong")" }
            print(head)
            print("  \(heading):")
            for (index, probability) in row.probabilities.enumerated() {
                let label = name(index)
                print("    \(label.padding(toLength: max(18, label.count), withPad: " ", startingAt: 0)) \(String(format: "%.4f", probability))")
            }
        }
    }

    /// Text for outputs of more than one axis, e.g. (28, 10): one line per position of the leading
    /// axes, with its largest value's class and every value along the last axis.
    func printRows(_ rows: [Row], model: Sequential, names: [String]?) {
        let shape = model.outputShapes.last!
        let last = shape.last!
        let what = model.endsInSoftmax ? "probabilities over the last axis" : "scores (the last layer is linear)"
        for row in rows {
            var head = (row.index.map { "test image \($0)" } ?? row.image!) + ": output (" + shape.map(String.init).joined(separator: ", ") + "), \(what)"
            if let label = row.label { head += "; label \(label)" }
            print(head)
            for position in 0..<(row.probabilities.count / last) {
                let values = Array(row.probabilities[(position * last)..<((position + 1) * last)])
                var index: [Int] = [], rest = position
                for size in shape.dropLast().reversed() { index.insert(rest % size, at: 0); rest /= size }
                let best = Self.argmax(values)
                let bestName = names.flatMap { $0.indices.contains(best) ? $0[best] : nil } ?? "class \(best)"
                print("  [\(index.map(String.init).joined(separator: ", "))] \(bestName) (\(best)): "
                      + values.map { String(format: "%.4f", $0) }.joined(separator: " "))
            }
        }
    }

    /// `predict --data file.csv --row I`: raw rows, standardised as the model was trained.
    func predictTable(model: Sequential, backend: any Backend, data: String) throws {
        let (file, schema, (inputs, _, labels)) = try TableRows.load(for: model, data: data, operation: "predict")
        let f = schema.featureNames.count
        let range = try checkedRange(first: row!, count: count, available: inputs.count / f, what: "row")
        let probabilities = try reportingErrors { try model.predict(Array(inputs[(range.lowerBound * f)..<(range.upperBound * f)]), backend: backend) }
        let known = model.classNames ?? file.classNames ?? []
        let names = (0..<model.outputCount).map { known.indices.contains($0) ? known[$0] : "class \($0)" }
        let k = model.outputCount
        var objects: [[String: Any]] = []
        for (position, index) in range.enumerated() {
            let p = Array(probabilities[(position * k)..<((position + 1) * k)])
            let predicted = Self.argmax(p)
            let label = labels.map { ExplainCommand.labelName($0[index], classNames: names) }
            if format == "json" {
                objects.append(["row": index, "label": label as Any? ?? NSNull(), "predicted": predicted, "predicted_name": names[predicted],
                                (model.endsInSoftmax ? "probabilities" : "scores"): p.map(Double.init)])
                continue
            }
            print("row \(index): predicted \(names[predicted]) (\(predicted))" + (label.map { ", label \($0)\($0 == names[predicted] ? "" : "  <- wrong")" } ?? ""))
            for (c, value) in p.enumerated() { print("    \(names[c].padding(toLength: max(18, names[c].count), withPad: " ", startingAt: 0)) \(String(format: "%.4f", value))") }
        }
        if format == "json" {
            print(String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
        }
    }

    static func argmax(_ values: [Float]) -> Int {
        values.indices.max { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) } ?? 0
    }
}
