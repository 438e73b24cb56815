// Fuzz target `onnx`: bytes are an ONNX file (a protobuf ModelProto), read by ONNXImport; a model
// that imports is saved, loaded again and, when small, run on a zero input (FuzzModel). Seeds:
// the PyTorch exports in Tests/Fixtures/onnx, cut short, and with operators or attributes
// Glassbox refuses. Truncated protobufs, huge dimension claims, dangling inputs and initializers
// whose byte size disagrees with their shape must all be GlassboxErrors.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    FuzzModel.checkImported { try ONNXImport.model(data, path: "model.onnx") }
    return 0
}
