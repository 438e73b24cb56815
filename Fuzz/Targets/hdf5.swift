// Fuzz target `hdf5`: bytes are the model.weights.h5 of a .keras file whose config.json is fixed
// (the keras-cnn fixture's architecture), read by KerasFile and its HDF5 reader (HDF5File). The zip
// around the weights is left out, so mutations reach the HDF5 reader instead of failing the
// entry's CRC-32. Seeds: the fixture's weights, cut short and with bytes changed. A file that is
// not HDF5, a damaged one, or datasets of the wrong shape or type must all be GlassboxErrors.
// Fuzz/crashes/hdf5 holds the inputs on which the HDF5 C library (Debian's 1.10.8), which read
// these files before HDF5File did, leaked or allocated 256 GiB and 4 GiB (ROBUSTNESS.md, 7 to 9).
import Foundation
@testable import Glassbox

/// An array, not a `Data`: a global `Data` keeps its storage where LeakSanitizer does not see it.
let hdf5FuzzConfig = Array(#"""
{"class_name": "Sequential", "config": {"name": "sequential", "layers": [
 {"class_name": "InputLayer", "config": {"name": "input_layer_1", "batch_shape": [null, 28, 28, 1]}},
 {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 6, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "relu"}},
 {"class_name": "BatchNormalization", "config": {"name": "batch_normalization", "axis": -1, "momentum": 0.99, "epsilon": 0.001}},
 {"class_name": "Conv2D", "config": {"name": "conv2d_1", "filters": 8, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "activation": "relu"}},
 {"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d", "pool_size": [2, 2], "strides": [2, 2], "padding": "valid"}},
 {"class_name": "Flatten", "config": {"name": "flatten"}},
 {"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.3}},
 {"class_name": "Dense", "config": {"name": "dense_2", "units": 10, "activation": "softmax"}}]}}
"""#.utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    guard let model = expectingGlassboxError("import", { try KerasFile.model(config: Data(hdf5FuzzConfig), weights: data, path: "model.keras") }) else {
        return 0
    }
    fuzzCheck(model.parameters.count == model.layers.count, "one parameter list per layer")
    fuzzCheck(zip(model.parameters, model.parameterShapes).allSatisfy { zip($0, $1).allSatisfy { $0.count == $1.elementCount } },
              "every tensor read has its layer's shape")
    return 0
}
