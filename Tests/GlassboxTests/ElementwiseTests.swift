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

    func testSigmoidTanhAndBackwardAgreeWithReference() throws {
        var random = SeededGenerator(seed: 12)
        for shape: Shape in [[1], [3, 7], [33, 13, 13, 3]] {
            let count = shape.elementCount
            let x = random.floats(count, in: -6...6), g = random.floats(count)
            for (name, forward, backward) in [
                ("sigmoid", { (b: any Backend, x: Tensor, y: Tensor) in try b.sigmoid(x, into: y) },
                 { (b: any Backend, g: Tensor, y: Tensor, gx: Tensor) in try b.sigmoidBackward(gradOutput: g, output: y, into: gx) }),
                ("tanh", { (b: any Backend, x: Tensor, y: Tensor) in try b.tanh(x, into: y) },
                 { (b: any Backend, g: Tensor, y: Tensor, gx: Tensor) in try b.tanhBackward(gradOutput: g, output: y, into: gx) }),
            ] {
                try assertBackendsAgree("\(name) \(shape)", [.input("x", shape, x), .output("y", shape)], tolerance: 1e-6) { backend, t in
                    try forward(backend, t["x"]!, t["y"]!)
                }
                try assertBackendsAgree("\(name) backward \(shape)", [
                    .input("g", shape, g), .input("y", shape, random.floats(count, in: -1...1)), .output("gx", shape),
                ], tolerance: 1e-5) { backend, t in try backward(backend, t["g"]!, t["y"]!, t["gx"]!) }
            }
        }
    }

    /// The mask is integer arithmetic, so both backends keep exactly the same elements.
    func testDropoutMasksAreIdenticalAndKeepTheRightFraction() throws {
        var random = SeededGenerator(seed: 13)
        for (count, rate) in [(1, Float(0.5)), (1000, 0.25), (100_003, 0.5), (7, 0)] {
            let reference = try assertBackendsAgree("dropout \(count) rate \(rate)", [
                .input("x", [count], random.floats(count, in: 0.5...1)), .output("y", [count]),
            ], tolerance: 0) { backend, t in try backend.dropout(t["x"]!, into: t["y"]!, rate: rate, seed: 12345) }
            if count > 1000 {
                let kept = Double(reference["y"]!.filter { $0 != 0 }.count) / Double(count)
                XCTAssertEqual(kept, Double(1 - rate), accuracy: 0.01)
            }
        }
        XCTAssertThrowsError(try DropoutMask(rate: 1, seed: 0))
    }

    func testAccumulatingSumsAddToTheOldValue() throws {
        try assertBackendsAgree("sum and accuracy with accumulate", [
            .input("x", [5], [1, 2, 3, 4, 5]), .input("z", [2, 2], [0, 1, 1, 0]), .input("y", [2], [1, 1]),
            .output("s", [1]), .output("c", [1]),
        ], tolerance: 0) { backend, t in
            try backend.sum(t["x"]!, into: t["s"]!)
            try backend.sum(t["x"]!, into: t["s"]!, accumulate: true)
            try backend.accuracyCount(logits: t["z"]!, labels: t["y"]!, into: t["c"]!)
            try backend.accuracyCount(logits: t["z"]!, labels: t["y"]!, into: t["c"]!, accumulate: true)
            XCTAssertEqual(try backend.download(t["s"]!), [30])
            XCTAssertEqual(try backend.download(t["c"]!), [2])
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
