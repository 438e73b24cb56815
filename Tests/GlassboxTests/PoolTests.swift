import Glassbox
import GlassboxTestSupport
import XCTest

final class PoolTests: XCTestCase {
    /// Forward, backward, and the backward pass through the relu before the pooling, on relu
    /// outputs (about half zeros, the first window all zero) for the last.
    func testForwardAndBackwardAgreeWithReference() throws {
        var random = SeededGenerator(seed: 6)
        // (input shape, pool, stride): overlapping windows (stride < pool) and leftover rows included.
        let cases: [(Shape, Int, Int)] = [([1, 5, 5, 1], 2, 2), ([3, 7, 9, 3], 2, 2), ([33, 26, 26, 32], 2, 2),
                                          ([2, 29, 29, 7], 3, 2), ([1, 6, 5, 17], 3, 1),
                                          // 16-channel vector kernels: windows that leave a row and a column
                                          // uncovered, windows with gaps, and overlapping windows.
                                          ([2, 7, 9, 16], 2, 2), ([3, 11, 10, 32], 2, 3), ([1, 9, 9, 16], 3, 2)]
        for (shape, pool, stride) in cases {
            let g = try Pool2DGeometry(inputShape: shape, poolHeight: pool, poolWidth: pool, strideHeight: stride, strideWidth: stride)
            let x = random.floats(shape.elementCount)
            try assertBackendsAgree("maxpool2d forward \(shape) pool \(pool) stride \(stride)", [
                .input("x", shape, x), .output("y", g.outputShape),
            ], tolerance: 0) { backend, t in try backend.maxPool2dForward(input: t["x"]!, geometry: g, into: t["y"]!) }
            try assertBackendsAgree("maxpool2d backward \(shape) pool \(pool) stride \(stride)", [
                .input("x", shape, x), .input("gy", g.outputShape, random.floats(g.outputShape.elementCount)),
                .output("gx", shape),
            ], tolerance: 1e-6) { backend, t in
                try backend.maxPool2dBackward(input: t["x"]!, gradOutput: t["gy"]!, geometry: g, into: t["gx"]!)
            }
            var relu = x.map { max($0, 0) }
            for c in 0..<shape[3] { relu[c] = 0; relu[shape[3] + c] = 0; relu[shape[2] * shape[3] + c] = 0; relu[(shape[2] + 1) * shape[3] + c] = 0 }
            try assertBackendsAgree("maxpool2d relu backward \(shape) pool \(pool) stride \(stride)", [
                .input("x", shape, relu), .input("gy", g.outputShape, random.floats(g.outputShape.elementCount)),
                .output("gx", shape),
            ], tolerance: 1e-6) { backend, t in
                try backend.maxPool2dReluBackward(input: t["x"]!, gradOutput: t["gy"]!, geometry: g, into: t["gx"]!)
            }
        }
    }

    /// relu outputs x = 0 0 3 1    a window of zeros passes no gradient through the relu; plain
    ///                  0 0 2 1    max pooling's backward pass sends it to the first zero.
    func testBackwardThroughReluByHand() throws {
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            for channels in [1, 16] {
                let x = try backend.upload([0, 0, 3, 1, 0, 0, 2, 1].flatMap { [Float](repeating: $0, count: channels) }, shape: [1, 2, 4, channels])
                let g = try Pool2DGeometry(inputShape: x.shape)
                let gy = try backend.upload([Float](repeating: 10, count: channels) + [Float](repeating: 20, count: channels), shape: g.outputShape)
                let gx = try backend.makeTensor(shape: x.shape)
                try backend.maxPool2dReluBackward(input: x, gradOutput: gy, geometry: g, into: gx)
                let expected: [Float] = [0, 0, 20, 0, 0, 0, 0, 0]
                XCTAssertEqual(try backend.download(gx), expected.flatMap { [Float](repeating: $0, count: channels) }, "\(backend.name) c\(channels)")
                try backend.maxPool2dBackward(input: x, gradOutput: gy, geometry: g, into: gx)
                XCTAssertEqual(try backend.download(gx), [10, 0, 20, 0, 0, 0, 0, 0].flatMap { [Float](repeating: $0, count: channels) },
                               "\(backend.name) c\(channels)")
            }
        }
    }

    /// x = 1 5 2 0     max 2x2: 5 3     the gradient goes to the 5, the 3, the 9 and the first 4.
    ///     3 4 3 1          9 4
    ///     9 2 4 4
    ///     0 1 4 2
    func testHandComputed() throws {
        let backend = TestBackends.reference
        let x = try backend.upload([1, 5, 2, 0, 3, 4, 3, 1, 9, 2, 4, 4, 0, 1, 4, 2], shape: [1, 4, 4, 1])
        let g = try Pool2DGeometry(inputShape: x.shape)
        let y = try backend.makeTensor(shape: g.outputShape)
        try backend.maxPool2dForward(input: x, geometry: g, into: y)
        XCTAssertEqual(try backend.download(y), [5, 3, 9, 4])
        let gx = try backend.makeTensor(shape: x.shape)
        try backend.maxPool2dBackward(input: x, gradOutput: try backend.upload([10, 20, 30, 40], shape: [1, 2, 2, 1]), geometry: g, into: gx)
        XCTAssertEqual(try backend.download(gx), [0, 10, 0, 0, 0, 0, 20, 0, 30, 0, 40, 0, 0, 0, 0, 0])
    }

    func testWindowLargerThanInputThrows() {
        XCTAssertThrowsError(try Pool2DGeometry(inputShape: [1, 1, 5, 1])) { error in
            XCTAssertTrue("\(error)".contains("[1, 1, 5, 1]"), "\(error)")
        }
    }

    /// Average pooling on the same kinds of windows (overlapping, leftover rows, gaps), and its
    /// backward pass against central differences of `sum(w * avgpool(x))`.
    func testAveragePoolingAgreesWithReferenceAndFiniteDifferences() throws {
        var random = SeededGenerator(seed: 16)
        let cases: [(Shape, Int, Int)] = [([1, 5, 5, 1], 2, 2), ([3, 7, 9, 3], 3, 2), ([2, 29, 29, 7], 3, 2), ([1, 6, 5, 17], 3, 1),
                                          ([2, 11, 10, 32], 2, 3)]
        for (shape, pool, stride) in cases {
            let g = try Pool2DGeometry(inputShape: shape, poolHeight: pool, poolWidth: pool, strideHeight: stride, strideWidth: stride)
            try assertBackendsAgree("avgpool2d forward \(shape) pool \(pool) stride \(stride)", [
                .input("x", shape, random.floats(shape.elementCount)), .output("y", g.outputShape),
            ], tolerance: 1e-6) { backend, t in try backend.averagePool2dForward(input: t["x"]!, geometry: g, into: t["y"]!) }
            try assertBackendsAgree("avgpool2d backward \(shape) pool \(pool) stride \(stride)", [
                .input("gy", g.outputShape, random.floats(g.outputShape.elementCount)), .output("gx", shape),
            ], tolerance: 1e-6) { backend, t in try backend.averagePool2dBackward(gradOutput: t["gy"]!, geometry: g, into: t["gx"]!) }
        }
        let backend = TestBackends.reference
        let shape: Shape = [1, 5, 4, 2]
        let g = try Pool2DGeometry(inputShape: shape, poolHeight: 3, poolWidth: 2, strideHeight: 1, strideWidth: 2)
        let x = random.floats(shape.elementCount), w = random.floats(g.outputShape.elementCount)
        let gx = try backend.makeTensor(shape: shape)
        try backend.averagePool2dBackward(gradOutput: try backend.upload(w, shape: g.outputShape), geometry: g, into: gx)
        let numeric = try FiniteDifferenceTests.numericGradient(x, step: 1e-2, weights: w) { input in
            let y = try backend.makeTensor(shape: g.outputShape)
            try backend.averagePool2dForward(input: try backend.upload(input, shape: shape), geometry: g, into: y)
            return try backend.download(y)
        }
        XCTAssertLessThan(relativeError(try backend.download(gx), numeric), 1e-3)
        // 1 2 / 3 4 averaged: 2.5, and each input gets a quarter of the output gradient.
        let y = try backend.makeTensor(shape: [1, 1, 1, 1])
        let square = try Pool2DGeometry(inputShape: [1, 2, 2, 1])
        try backend.averagePool2dForward(input: try backend.upload([1, 2, 3, 4], shape: [1, 2, 2, 1]), geometry: square, into: y)
        XCTAssertEqual(try backend.download(y), [2.5])
        XCTAssertEqual(try AveragePooling2D(poolSize: (3, 2), strides: (1, 2)).outputShape(for: [5, 4, 2]), [3, 2, 2])
        XCTAssertEqual(try AveragePooling2D().configuration.makeLayer().typeName, "AveragePooling2D")
    }

    /// `same` windows (TensorFlow's: output `ceil(input / stride)`, padding split with the extra
    /// row at the bottom, padding never counted): max and average pooling, forward and backward,
    /// on every backend, including 16-channel shapes that would otherwise take the vector kernels.
    func testSamePaddingAgreesWithReferenceAndFiniteDifferences() throws {
        var random = SeededGenerator(seed: 17)
        let cases: [(Shape, Int, Int)] = [([1, 5, 5, 1], 2, 2), ([2, 7, 9, 3], 3, 2), ([1, 6, 5, 16], 3, 1), ([2, 9, 7, 32], 2, 2),
                                          ([1, 1, 3, 2], 3, 3), ([3, 13, 11, 5], 4, 3)]
        for (shape, pool, stride) in cases {
            let g = try Pool2DGeometry(inputShape: shape, poolHeight: pool, poolWidth: pool, strideHeight: stride, strideWidth: stride, padding: .same)
            XCTAssertEqual(g.outputShape.dimensions, [shape[0], (shape[1] + stride - 1) / stride, (shape[2] + stride - 1) / stride, shape[3]])
            let x = random.floats(shape.elementCount)
            try assertBackendsAgree("maxpool2d same \(shape) pool \(pool) stride \(stride)", [.input("x", shape, x), .output("y", g.outputShape)],
                                    tolerance: 0) { backend, t in try backend.maxPool2dForward(input: t["x"]!, geometry: g, into: t["y"]!) }
            try assertBackendsAgree("maxpool2d same backward \(shape)", [
                .input("x", shape, x), .input("gy", g.outputShape, random.floats(g.outputShape.elementCount)), .output("gx", shape),
            ], tolerance: 1e-6) { backend, t in try backend.maxPool2dBackward(input: t["x"]!, gradOutput: t["gy"]!, geometry: g, into: t["gx"]!) }
            try assertBackendsAgree("avgpool2d same \(shape)", [.input("x", shape, x), .output("y", g.outputShape)],
                                    tolerance: 1e-6) { backend, t in try backend.averagePool2dForward(input: t["x"]!, geometry: g, into: t["y"]!) }
            try assertBackendsAgree("avgpool2d same backward \(shape)", [
                .input("gy", g.outputShape, random.floats(g.outputShape.elementCount)), .output("gx", shape),
            ], tolerance: 1e-6) { backend, t in try backend.averagePool2dBackward(gradOutput: t["gy"]!, geometry: g, into: t["gx"]!) }
        }
        // By hand: 1x3 input [1 5 2], pool 2 stride 2 `same`: output 2, padding 1 at the right.
        // Max: [5, 2]; average: [3, 2] (the padded window averages its one element).
        let backend = TestBackends.reference
        let g = try Pool2DGeometry(inputShape: [1, 1, 3, 1], poolHeight: 1, poolWidth: 2, strideHeight: 1, strideWidth: 2, padding: .same)
        let x = try backend.upload([1, 5, 2], shape: [1, 1, 3, 1]), y = try backend.makeTensor(shape: g.outputShape)
        try backend.maxPool2dForward(input: x, geometry: g, into: y)
        XCTAssertEqual(try backend.download(y), [5, 2])
        try backend.averagePool2dForward(input: x, geometry: g, into: y)
        XCTAssertEqual(try backend.download(y), [3, 2])
        // Pool 3 stride 1 `same` on 3 columns: padding 1 each side; the windows are [1 5], [1 5 2], [5 2].
        let centred = try Pool2DGeometry(inputShape: [1, 1, 3, 1], poolHeight: 1, poolWidth: 3, strideHeight: 1, strideWidth: 1, padding: .same)
        let z = try backend.makeTensor(shape: centred.outputShape)
        try backend.averagePool2dForward(input: x, geometry: centred, into: z)
        XCTAssertEqual(try backend.download(z), [3, 8.0 / 3, 3.5])
        // Backward passes against central differences.
        let shape: Shape = [1, 5, 4, 2]
        let same = try Pool2DGeometry(inputShape: shape, poolHeight: 3, poolWidth: 2, strideHeight: 2, strideWidth: 3, padding: .same)
        let values = (0..<shape.elementCount).map { Float($0) * 0.05 - 1 }.shuffled(using: &random), w = random.floats(same.outputShape.elementCount)
        for maximum in [true, false] {
            func pool(_ input: [Float]) throws -> [Float] {
                let out = try backend.makeTensor(shape: same.outputShape), tensor = try backend.upload(input, shape: shape)
                if maximum { try backend.maxPool2dForward(input: tensor, geometry: same, into: out) } else {
                    try backend.averagePool2dForward(input: tensor, geometry: same, into: out)
                }
                return try backend.download(out)
            }
            let gx = try backend.makeTensor(shape: shape), gy = try backend.upload(w, shape: same.outputShape)
            if maximum { try backend.maxPool2dBackward(input: try backend.upload(values, shape: shape), gradOutput: gy, geometry: same, into: gx) } else {
                try backend.averagePool2dBackward(gradOutput: gy, geometry: same, into: gx)
            }
            let numeric = try FiniteDifferenceTests.numericGradient(values, step: 1e-2, weights: w, pool)
            XCTAssertLessThan(relativeError(try backend.download(gx), numeric), 1e-3, maximum ? "max" : "average")
        }
        XCTAssertEqual(try MaxPool2D(2, padding: .same).outputShape(for: [7, 5, 3]), [4, 3, 3])
        XCTAssertEqual(try MaxPool2D(2, padding: .same).configuration.makeLayer().configuration.padding, "same")
    }
}
