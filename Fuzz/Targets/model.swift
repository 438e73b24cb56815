// Fuzz target `model`: the JSON header of a safetensors model file, without its 8-byte length
// (the harness adds it, and 4 KiB of data after it), so mutations go to what matters for a
// model: `__metadata__` (architecture, training, class names), tensor names, dtypes, offsets
// and shapes that disagree with the architecture. What loads is predicted on when small.
//
// In a real file the architecture is a JSON string inside the JSON header, escaped; a mutation
// of a number in it rarely survives the escaping. So the seeds hold metadata values as plain
// JSON (`"architecture": {"input_shape": ...}`) and the harness turns each non-string metadata
// value into its JSON text before building the file. Input that is not a JSON object goes in
// as it is.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let header = metadataAsStrings(fuzzInput(bytes, size))
    var length = UInt64(header.count).littleEndian
    var data = withUnsafeBytes(of: &length) { Data($0) }
    data.append(header)
    data.append(contentsOf: fuzzModelData)
    guard let file = expectingGlassboxError("decode", { try Safetensors.decode(data, path: "model.safetensors") }) else {
        return 0
    }
    FuzzModel.loadAndRun(file)
    return 0
}

/// `header` with every non-string value of `__metadata__` replaced by its JSON text; unchanged
/// when it is not a JSON object with an object `__metadata__`.
func metadataAsStrings(_ header: Data) -> Data {
    guard var object = (try? JSONSerialization.jsonObject(with: header, options: [.fragmentsAllowed])) as? [String: Any],
          var metadata = object["__metadata__"] as? [String: Any] else { return header }
    var changed = false
    for (key, value) in metadata where !(value is String) {
        guard JSONSerialization.isValidJSONObject([value]),
              let text = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else { continue }
        metadata[key] = String(decoding: text, as: UTF8.self)
        changed = true
    }
    guard changed else { return header }
    object["__metadata__"] = metadata
    return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? header
}
