// Fuzz target `keras-json`: bytes are a Keras model JSON (`model.to_json()`), read by
// KerasArchitecture.parse; a graph that parses is built as a model (shapes, parameters) and, when
// small, saved, loaded again and run on a zero input. Seeds: the example architectures, a
// functional graph with branches, and refusals (a Lambda, a cycle, a shared layer).
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKerasJSON(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    guard let (inputShape, nodes) = expectingGlassboxError("parse", { try KerasArchitecture.parse(data, path: "model.json") }) else {
        return 0
    }
    fuzzCheck(!nodes.isEmpty && !inputShape.isEmpty, "a parsed architecture has an input shape and nodes")
    // Sizes in the file are any integers: only build what is small enough to allocate quickly.
    let sizes = nodes.compactMap { node -> Int? in
        let c = node.layer.configuration
        return [c.filters, c.units].compactMap { $0 }.max()
    }
    guard inputShape.allSatisfy({ $0 <= 4096 }), inputShape.reduce(1, { $0 * $1 }) <= 1 << 16, sizes.allSatisfy({ $0 <= 4096 }) else { return 0 }
    guard let model = expectingGlassboxError("build", { try Sequential(inputShape: inputShape, seed: 0, nodes: nodes) }) else { return 0 }
    fuzzCheck(model.layerNames == nodes.map(\.name), "the model keeps the file's node names")
    guard let file = expectingGlassboxError("save", { try model.safetensors() }) else { return 0 }
    FuzzModel.loadAndRun(file)
    return 0
}
