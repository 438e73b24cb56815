// Fuzz target `architecture`: bytes become a model file's architecture metadata (input shape,
// layer types and every size, stride, padding and activation) and a few tensors, and the file
// is loaded as a Glassbox model.
//
// Mutating JSON text seldom turns a 3 into 2^32, so sizes here come from a table of edge values
// (0, -1, 1, ..., 46341, 2^31 - 1, 2^32, Int.max): an architecture whose shapes overflow, need
// gigabytes or fit nothing is a few bytes away from any seed. The tensors have small shapes
// from the bytes, so they seldom fit; the `model` target covers files that load.
//
// Bytes: input rank (1 to 3) and its sizes, then per layer (at most 5): a type byte and its
// fields; then per tensor: a layer, kernel or bias, and a rank and sizes up to 8.
import Foundation
@testable import Glassbox

/// Sizes that sit on the edges the shape checks must handle.
let fuzzEdgeSizes: [Int] = [
    1, 2, 3, 4, 5, 7, 8, 16, 28, 100, 1000, 3000, 46341, 65536, 1 << 20,
    Int(Int32.max), 1 << 31, 1 << 32, 3_037_000_500, 1 << 62, Int.max, 0, -1, Int.min,
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchitecture(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = ByteReader(fuzzInput(bytes, size))
    func edgeSize() -> Int { fuzzEdgeSizes[Int(reader.byte()) % fuzzEdgeSizes.count] }
    func pair() -> [Int] { [edgeSize(), edgeSize()] }
    let activations = ["linear", "relu", "sigmoid", "tanh", "softmax", "gelu"]

    let inputShape = (0 ..< Int(reader.byte() % 3) + 1).map { _ in edgeSize() }
    var layers: [[String: Any]] = []
    for _ in 0 ..< Int(reader.byte() % 5) + 1 {
        let kind = reader.byte()
        var layer: [String: Any] = [:]
        switch (kind & 0x3F) % 6 {  // the two high bits are flags
        case 0:
            layer = ["type": "Conv2D", "filters": edgeSize(), "kernelSize": pair(), "strides": pair(),
                     "padding": kind & 0x80 == 0 ? "valid" : "same", "activation": activations[Int(reader.byte()) % activations.count]]
        case 1:
            layer = ["type": kind & 0x80 == 0 ? "MaxPool2D" : "MaxPooling2D", "poolSize": pair()]
            if kind & 0x40 != 0 { layer["strides"] = pair() }
        case 2:
            layer = ["type": "Flatten"]
        case 3:
            layer = ["type": "Dense", "units": edgeSize(), "activation": activations[Int(reader.byte()) % activations.count]]
        case 4:
            layer = ["type": "Dropout", "rate": Double(reader.byte()) / 200]
        default:
            layer = ["type": "Conv2D", "filters": edgeSize(), "kernelSize": [edgeSize()]]  // a field of the wrong length
        }
        layers.append(layer)
    }

    var header: [String: Any] = [:]
    var offset = 0
    while reader.position < reader.bytes.endIndex {
        let choice = reader.byte()
        let name = "layers.\(choice % 8).\(choice & 0x80 == 0 ? "kernel" : "bias")"
        let shape = (0 ..< Int(reader.byte() % 4) + 1).map { _ in Int(reader.byte() % 8) + 1 }
        let bytes = 4 * shape.reduce(1, *)
        guard offset + bytes <= fuzzModelData.count else { break }
        header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
        offset += bytes
    }
    let architecture = ["input_shape": inputShape, "layers": layers] as [String: Any]
    let architectureText = String(decoding: try! JSONSerialization.data(withJSONObject: architecture, options: [.sortedKeys]), as: UTF8.self)
    header["__metadata__"] = ["format": "glassbox", "format_version": "1", "architecture": architectureText]
    fuzzLog("architecture \(architectureText)")

    let json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    var length = UInt64(json.count).littleEndian
    var data = withUnsafeBytes(of: &length) { Data($0) }
    data.append(json)
    data.append(contentsOf: fuzzModelData[..<offset])
    guard let file = expectingGlassboxError("decode", { try Safetensors.decode(data, path: "model.safetensors") }) else {
        return 0
    }
    FuzzModel.loadAndRun(file)
    return 0
}
