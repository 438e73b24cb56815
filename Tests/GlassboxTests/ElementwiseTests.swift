import Glassbox
import GlassboxTestSupport
import XCTest

final class ElementwiseTests: XCTestCase {
    func testBiasAddReluAndReluBackwardAgreeWithReference() throws {
        var random = SeededGenerator(seed: 3)
        for shape: Shape in [[1], [3, 7], [33, 5, 5, 3], [2, 1000]] {
            let columns = shape.dimensions.last!
            let count = shape.elementCount
            try assertBackendsAgree("bias_add \(shape)", [
                .input("x", shape, random.floats(count)), .input("bias", [columns], random.floats(columns)), .output("y", shape),
            ], tolerance: 1e-6) { backend, t in try backend.biasAdd(t["x"]!, bias: t["bias"]!, into: t["y"]!) }
            try assertBackendsAgree("relu \(shape)", [.input("x", shape, random.floats(count)), .output("y", shape)],
                                    tolerance: 0) { backend, t in try backend.relu(t["x"]!, into: t["y"]!) }
            try assertBackendsAgree("relu backward \(shape)", [
                .input("g", shape, random.floats(count)), .input("x", shape, random.floats(count)), .output("gx", shape),
            ], tolerance: 0) { backend, t in try backend.reluBackward(gradOutput: t["g"]!, input: t["x"]!, into: t["gx"]!) }
        }
    }

    func testFillWritesEveryElement() throws {
        try assertBackendsAgree("fill", [.output("y", [37, 3])], tolerance: 0) { backend, t in try backend.fill(t["y"]!, with: 2.5) }
    }

    func testReluBackwardIsZeroAtAndBelowZero() throws {
        let backend = TestBackends.reference
        let gx = try backend.makeTensor(shape: [3])
        try backend.reluBackward(gradOutput: try backend.upload([5, 6, 7], shape: [3]),
                                 input: try backend.upload([-1, 0, 2], shape: [3]), into: gx)
        XCTAssertEqual(try backend.download(gx), [0, 0, 7])
    }
}
