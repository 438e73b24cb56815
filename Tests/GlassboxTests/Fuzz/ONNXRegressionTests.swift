import Foundation
import Glassbox
import XCTest

/// ONNX files found by the `onnx` fuzz target (`Fuzz/crashes/onnx/`), each refused with an error
/// that names the file instead of trapping.
final class ONNXRegressionTests: XCTestCase {
    /// Found by the `onnx` target (session 15's CI): a node of a shape-computing op (Unsqueeze,
    /// Squeeze, Cast, Slice) with no inputs made the shape folding read `node.input[0]` and trap.
    func testShapeOpWithoutInputsIsRefused() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/crashes/onnx/shape-op-without-inputs.onnx")
        let data = try Data(contentsOf: url)
        XCTAssertThrowsError(try ONNXImport.model(data, path: "crash.onnx")) { error in
            XCTAssertTrue(error is GlassboxError, "\(error)")
            XCTAssertTrue("\(error)".contains("crash.onnx"), "the error should name the file: \(error)")
        }
    }
}
