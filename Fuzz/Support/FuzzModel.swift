// Loading a decoded safetensors file as a model, shared by the `safetensors`, `model` and
// `architecture` targets.
import Foundation
@testable import Glassbox

/// The data section the `model` and `architecture` targets put after their headers: 1024
/// finite floats, so offsets up to 4096 are in range. An array, not a `Data`: a global `Data`
/// keeps its storage behind enum tag bits, where LeakSanitizer does not see the pointer and
/// reports a leak.
let fuzzModelData: [UInt8] = (0 ..< 1024).flatMap { index -> [UInt8] in
    let bits = (Float((index * 37) % 19 - 9) / 16).bitPattern
    return (0 ..< 4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
}

enum FuzzModel {
    /// A model that another framework's file imports to (`onnx`, `keras`): one parameter list per
    /// layer, and it saves, loads and (small) predicts as in `loadAndRun`.
    static func checkImported(_ importing: () throws -> Sequential) {
        guard let model = expectingGlassboxError("import", importing) else { return }
        fuzzCheck(model.parameters.count == model.layers.count, "one parameter list per layer")
        guard let file = expectingGlassboxError("save", { try model.safetensors() }) else { return }
        loadAndRun(file)
    }

    /// Loads `file` as a Sequential; when that works and the model is small, saves and loads it
    /// again (which must reproduce it) and predicts one sample of zeros on the CPU reference.
    static func loadAndRun(_ file: Safetensors) {
        guard let model = expectingGlassboxError("load", { try Sequential.load(file, path: "model.safetensors") }) else {
            return
        }
        fuzzCheck(model.parameters.count == model.layers.count, "one parameter list per layer")
        if let saved = expectingGlassboxError("save", { try model.safetensors() }) {
            let again = expectingGlassboxError("load again") { try Sequential.load(saved, path: "again.safetensors") }
            fuzzCheck(again.map { bits($0.parameters) } == bits(model.parameters), "save then load changed the parameters")
        }
        guard estimatedWork(model) <= 2_000_000 else { return }
        let sampleSize = product(model.inputShape)
        let output = expectingGlassboxError("predict") {
            try model.predict([Float](repeating: 0, count: sampleSize), backend: CPUBackend())
        }
        if let output {
            fuzzCheck(output.count == model.outputCount, "predict gave \(output.count) values for \(model.outputCount) outputs")
        }
    }

    /// A rough count of multiply-adds for one sample, to skip predicting on models that would
    /// take seconds (a valid architecture can ask for any amount of work). Saturates at `Int.max`.
    static func estimatedWork(_ model: Sequential) -> Int {
        var work = product(model.inputShape)
        var inputCount = work
        for (index, layer) in model.layers.enumerated() {
            let output = model.outputShapes[index]
            let outputCount = product(output)
            let parameters = model.parameterShapes[index].reduce(0) { saturatingAdd($0, product($1.dimensions)) }
            let perOutput: Int
            if let pool = layer.configuration.poolSize {
                perOutput = product(pool)
            } else if parameters > 0, let channels = output.last, channels > 0 {
                perOutput = parameters / channels
            } else {
                perOutput = 1
            }
            work = saturatingAdd(work, saturatingAdd(product([outputCount, perOutput]), inputCount))
            inputCount = outputCount
        }
        return work
    }

    /// The product of `values`, or `Int.max` when it overflows or a value is negative.
    static func product(_ values: [Int]) -> Int {
        var result = 1
        for value in values {
            let (next, overflow) = result.multipliedReportingOverflow(by: value)
            guard !overflow, value >= 0 else { return .max }
            result = next
        }
        return result
    }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// Parameters as bit patterns, so NaNs compare equal to themselves.
    static func bits(_ values: [[[Float]]]) -> [[[UInt32]]] { values.map { $0.map { $0.map(\.bitPattern) } } }

    /// A file's tensors as bit patterns, and its metadata.
    static func bits(_ file: Safetensors) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in file.metadata { result["metadata " + key] = value }
        for (name, entry) in file.tensors { result["tensor " + name] = "\(entry.shape) \(entry.values.map(\.bitPattern))" }
        return result
    }
}
