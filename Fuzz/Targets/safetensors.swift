// Fuzz target `safetensors`: the bytes of a safetensors file: header length, JSON header,
// dtypes, offsets and shapes. What decodes is then loaded as a Glassbox model (architecture
// metadata against the tensors), and encoded and decoded again, which must give it back.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    guard let file = expectingGlassboxError("decode", { try Safetensors.decode(data, path: "input.safetensors") }) else {
        return 0
    }
    for (name, entry) in file.tensors {
        fuzzCheck(entry.values.count == FuzzModel.product(entry.shape), "tensor '\(name)': value count disagrees with its shape")
    }
    if let encoded = expectingGlassboxError("encode", { try file.encode() }) {
        let again = expectingGlassboxError("decode again") { try Safetensors.decode(encoded, path: "again.safetensors") }
        fuzzCheck(again.map(FuzzModel.bits) == FuzzModel.bits(file), "encode then decode changed the file")
    }
    FuzzModel.loadAndRun(file)
    return 0
}
