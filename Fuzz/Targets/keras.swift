// Fuzz target `keras`: bytes are a .keras file (a zip of config.json and model.weights.h5), read
// by KerasFile: the zip reader, the Keras JSON reader and the HDF5 library behind HDF5File. A
// model that imports is saved, loaded again and, when small, run on a zero input (FuzzModel).
// Seeds: the Keras fixtures in Tests/Fixtures/onnx, cut short, deflated, and with a Lambda.
// Zip entries that lie about their size, HDF5 files that are not HDF5 and weights of the wrong
// shape must all be GlassboxErrors.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeras(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    FuzzModel.checkImported { try KerasFile.model(data, path: "model.keras") }
    return 0
}
