import Glassbox
import GlassboxTestSupport
import XCTest

final class Conv2DTests: XCTestCase {
    struct Case { let n, h, w, ci, co, kh, kw, sh, sw: Int; let padding: Padding }

    /// Odd batches, channels and image sizes (5x5 to 29x29), both paddings, strides 1 to 3,
    /// and the reference CNN's first layer.
    let cases: [Case] = [
        Case(n: 1, h: 5, w: 5, ci: 1, co: 1, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid),
        Case(n: 3, h: 7, w: 6, ci: 3, co: 7, kh: 3, kw: 2, sh: 1, sw: 2, padding: .same),
        Case(n: 2, h: 29, w: 29, ci: 1, co: 33, kh: 3, kw: 3, sh: 2, sw: 2, padding: .valid),
        Case(n: 1, h: 11, w: 9, ci: 7, co: 16, kh: 5, kw: 5, sh: 3, sw: 1, padding: .same),
        Case(n: 33, h: 28, w: 28, ci: 1, co: 32, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid),
        Case(n: 2, h: 12, w: 13, ci: 16, co: 17, kh: 3, kw: 3, sh: 1, sw: 1, padding: .same),
    ]

    func geometry(_ c: Case) throws -> Conv2DGeometry {
        try Conv2DGeometry(inputShape: [c.n, c.h, c.w, c.ci], kernelShape: [c.kh, c.kw, c.ci, c.co],
                           strideHeight: c.sh, strideWidth: c.sw, padding: c.padding)
    }

    func testForwardAgreesWithReference() throws {
        var random = SeededGenerator(seed: 4)
        for c in cases {
            let g = try geometry(c)
            for withBias in [true, false] {
                try assertBackendsAgree("conv2d forward \(g.inputShape) k\(g.kernelShape) \(c.padding) s\(c.sh),\(c.sw) bias \(withBias)", [
                    .input("x", g.inputShape, random.floats(g.inputShape.elementCount)),
                    .input("k", g.kernelShape, random.floats(g.kernelShape.elementCount)),
                    .input("b", [c.co], random.floats(c.co)), .output("y", g.outputShape),
                ], tolerance: 1e-5) { backend, t in
                    try backend.conv2dForward(input: t["x"]!, kernel: t["k"]!, bias: withBias ? t["b"] : nil, geometry: g, into: t["y"]!)
                }
            }
        }
    }

    func testBackwardAgreesWithReference() throws {
        var random = SeededGenerator(seed: 5)
        for c in cases {
            let g = try geometry(c)
            let x = random.floats(g.inputShape.elementCount), k = random.floats(g.kernelShape.elementCount)
            let gy = random.floats(g.outputShape.elementCount)
            try assertBackendsAgree("conv2d backward input \(g.inputShape) k\(g.kernelShape)", [
                .input("gy", g.outputShape, gy), .input("k", g.kernelShape, k), .output("gx", g.inputShape),
            ], tolerance: 1e-4) { backend, t in
                try backend.conv2dBackwardInput(gradOutput: t["gy"]!, kernel: t["k"]!, geometry: g, into: t["gx"]!)
            }
            try assertBackendsAgree("conv2d backward kernel \(g.inputShape) k\(g.kernelShape)", [
                .input("x", g.inputShape, x), .input("gy", g.outputShape, gy),
                .output("gk", g.kernelShape), .output("gb", [c.co]),
            ], tolerance: 1e-4) { backend, t in
                try backend.conv2dBackwardKernel(input: t["x"]!, gradOutput: t["gy"]!, geometry: g,
                                                 kernelGradient: t["gk"]!, biasGradient: t["gb"]!)
            }
        }
    }

    /// The fused inference block against the reference's three separate steps, on shapes that
    /// take the shape-specialised kernel (16 and 32 filters) and ones that do not (7, 17).
    func testFusedConvPoolAgreesWithReference() throws {
        var random = SeededGenerator(seed: 14)
        let cases: [(Case, pool: (Int, Int)?, Activation)] = [
            (Case(n: 3, h: 28, w: 28, ci: 1, co: 32, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid), (2, 2), .relu),
            (Case(n: 2, h: 11, w: 9, ci: 3, co: 16, kh: 3, kw: 2, sh: 2, sw: 1, padding: .same), (2, 2), .tanh),
            (Case(n: 1, h: 13, w: 12, ci: 2, co: 16, kh: 5, kw: 5, sh: 1, sw: 1, padding: .same), (3, 2), .sigmoid),
            (Case(n: 2, h: 9, w: 9, ci: 1, co: 32, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid), nil, .relu),
            (Case(n: 5, h: 10, w: 10, ci: 2, co: 7, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid), (2, 2), .relu),
            (Case(n: 1, h: 8, w: 8, ci: 1, co: 17, kh: 2, kw: 2, sh: 1, sw: 1, padding: .same), (2, 2), .linear),
            (Case(n: 2, h: 12, w: 11, ci: 3, co: 16, kh: 3, kw: 3, sh: 1, sw: 1, padding: .same), (2, 2), .leakyRelu),
            (Case(n: 1, h: 7, w: 9, ci: 2, co: 5, kh: 3, kw: 3, sh: 2, sw: 2, padding: .valid), nil, .leakyRelu),
        ]
        for (c, poolSize, activation) in cases {
            let g = try geometry(c)
            let pool = try poolSize.map { try Pool2DGeometry(inputShape: g.outputShape, poolHeight: $0.0, poolWidth: $0.0, strideHeight: $0.1, strideWidth: $0.1) }
            try assertBackendsAgree("conv2d+pool \(g.inputShape) k\(g.kernelShape) \(c.padding) pool \(String(describing: poolSize)) \(activation)", [
                .input("x", g.inputShape, random.floats(g.inputShape.elementCount)),
                .input("k", g.kernelShape, random.floats(g.kernelShape.elementCount)),
                .input("b", [c.co], random.floats(c.co)), .output("y", pool?.outputShape ?? g.outputShape),
            ], tolerance: 1e-5) { backend, t in
                try backend.conv2dPoolForward(input: t["x"]!, kernel: t["k"]!, bias: t["b"], geometry: g, pool: pool,
                                              activation: activation, into: t["y"]!)
            }
        }
        let g = try geometry(cases[0].0)
        XCTAssertThrowsError(try TestBackends.reference.conv2dPoolForward(
            input: try TestBackends.reference.makeTensor(shape: g.inputShape), kernel: try TestBackends.reference.makeTensor(shape: g.kernelShape),
            bias: nil, geometry: g, pool: nil, activation: .softmax, into: try TestBackends.reference.makeTensor(shape: g.outputShape)))
    }

    /// Training's fused block, which also writes the activations, against the reference's three
    /// steps: 16, 32 and 48 filters take the specialised kernel, 7 the separate ops; pooling
    /// windows of 2 and 3 that tile the convolution's output, every monotonic activation.
    func testTrainingConvPoolBlockKeepsActivations() throws {
        var random = SeededGenerator(seed: 15)
        let cases: [(Case, pool: Int, Activation)] = [
            (Case(n: 3, h: 28, w: 28, ci: 1, co: 32, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid), 2, .relu),
            (Case(n: 2, h: 12, w: 10, ci: 3, co: 16, kh: 3, kw: 3, sh: 1, sw: 1, padding: .same), 2, .leakyRelu),
            (Case(n: 1, h: 9, w: 9, ci: 2, co: 16, kh: 2, kw: 2, sh: 1, sw: 1, padding: .valid), 4, .sigmoid),
            (Case(n: 2, h: 13, w: 13, ci: 1, co: 48, kh: 2, kw: 2, sh: 1, sw: 1, padding: .valid), 3, .tanh),
            (Case(n: 3, h: 11, w: 12, ci: 2, co: 16, kh: 3, kw: 3, sh: 2, sw: 2, padding: .same), 2, .linear),
            (Case(n: 5, h: 10, w: 10, ci: 2, co: 7, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid), 2, .relu),
        ]
        for (c, size, activation) in cases {
            let g = try geometry(c)
            let pool = try Pool2DGeometry(inputShape: g.outputShape, poolHeight: size, poolWidth: size)
            XCTAssertTrue(pool.windowsTileInput, "\(g.outputShape) pool \(size)")
            try assertBackendsAgree("training conv2d+pool \(g.inputShape) k\(g.kernelShape) \(c.padding) pool \(size) \(activation)", [
                .input("x", g.inputShape, random.floats(g.inputShape.elementCount)),
                .input("k", g.kernelShape, random.floats(g.kernelShape.elementCount)),
                .input("b", [c.co], random.floats(c.co)), .output("a", g.outputShape), .output("y", pool.outputShape),
            ], tolerance: 1e-5) { backend, t in
                try backend.conv2dActivationPoolForward(input: t["x"]!, kernel: t["k"]!, bias: t["b"], geometry: g, pool: pool,
                                                        activation: activation, activations: t["a"]!, into: t["y"]!)
            }
        }
        // Windows that leave the last row and column of a 26x26 output out cannot keep every activation.
        let g = try geometry(cases[0].0)
        let pool = try Pool2DGeometry(inputShape: g.outputShape, poolHeight: 3, poolWidth: 3)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            XCTAssertThrowsError(try backend.conv2dActivationPoolForward(
                input: try backend.makeTensor(shape: g.inputShape), kernel: try backend.makeTensor(shape: g.kernelShape), bias: nil,
                geometry: g, pool: pool, activation: .relu, activations: try backend.makeTensor(shape: g.outputShape),
                into: try backend.makeTensor(shape: pool.outputShape))) { error in
                XCTAssertTrue("\(error)".contains("tile"), "\(backend.name): \(error)")
            }
        }
    }

    /// A first layer's kernel and bias gradients through max pooling and relu, against the
    /// reference's two ops: the fused kernel (the reference CNN's block, `same` padding with three
    /// input channels, 3x3 windows) and the fallbacks (stride 2, 7 filters, 50 taps). Activations
    /// on a coarse grid, so windows hold ties (the first maximum takes the gradient) and zeros.
    func testFirstLayerKernelGradientThroughMaxPoolRelu() throws {
        var random = SeededGenerator(seed: 16)
        let cases: [(Case, pool: Int)] = [
            (Case(n: 5, h: 28, w: 28, ci: 1, co: 32, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid), 2),
            (Case(n: 2, h: 12, w: 10, ci: 3, co: 16, kh: 3, kw: 3, sh: 1, sw: 1, padding: .same), 2),
            (Case(n: 3, h: 13, w: 13, ci: 1, co: 48, kh: 2, kw: 2, sh: 1, sw: 1, padding: .valid), 3),
            (Case(n: 3, h: 11, w: 12, ci: 2, co: 16, kh: 3, kw: 3, sh: 2, sw: 2, padding: .same), 2),
            (Case(n: 2, h: 10, w: 10, ci: 2, co: 7, kh: 3, kw: 3, sh: 1, sw: 1, padding: .valid), 2),
            (Case(n: 2, h: 12, w: 12, ci: 2, co: 16, kh: 5, kw: 5, sh: 1, sw: 1, padding: .valid), 2),
        ]
        for (c, size) in cases {
            let g = try geometry(c)
            let pool = try Pool2DGeometry(inputShape: g.outputShape, poolHeight: size, poolWidth: size)
            let activations = random.floats(g.outputShape.elementCount).map { max(0, ($0 * 4).rounded() / 4) }
            try assertBackendsAgree("conv kernel gradient through pool \(g.inputShape) k\(g.kernelShape) \(c.padding) pool \(size)", [
                .input("x", g.inputShape, random.floats(g.inputShape.elementCount)), .input("a", g.outputShape, activations),
                .input("dy", pool.outputShape, random.floats(pool.outputShape.elementCount)),
                .output("scratch", g.outputShape), .output("dk", g.kernelShape), .output("db", [c.co]),
            ], compare: ["dk", "db"], tolerance: 1e-5) { backend, t in
                try backend.conv2dKernelGradientThroughMaxPoolRelu(input: t["x"]!, activations: t["a"]!, gradOutput: t["dy"]!, geometry: g,
                                                                   pool: pool, scratch: t["scratch"]!, kernelGradient: t["dk"]!,
                                                                   biasGradient: t["db"]!)
            }
        }
    }

    /// A 3x3 image, a 2x2 kernel, worked by hand:
    ///   x = 1 2 3    k = 1 0    y = 1*1+5*-1 = -4   2*1+6*-1 = -4     (+ bias 0.5)
    ///       4 5 6        0 -1       4*1+8*-1 = -4   5*1+9*-1 = -4
    ///       7 8 9
    func testHandComputedValidAndSame() throws {
        let backend = TestBackends.reference
        let x = try backend.upload([1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [1, 3, 3, 1])
        let k = try backend.upload([1, 0, 0, -1], shape: [2, 2, 1, 1])
        let b = try backend.upload([0.5], shape: [1])
        let valid = try Conv2DGeometry(inputShape: x.shape, kernelShape: k.shape)
        let y = try backend.makeTensor(shape: valid.outputShape)
        try backend.conv2dForward(input: x, kernel: k, bias: b, geometry: valid, into: y)
        XCTAssertEqual(try backend.download(y), [-3.5, -3.5, -3.5, -3.5])
        // `same` with a 2x2 kernel pads one row below and one column right (TensorFlow's split):
        // the last row and column see zeros where the -1 tap falls outside.
        let same = try Conv2DGeometry(inputShape: x.shape, kernelShape: k.shape, padding: .same)
        XCTAssertEqual(same.outputShape, [1, 3, 3, 1])
        XCTAssertEqual(same.padTop, 0)
        let ySame = try backend.makeTensor(shape: same.outputShape)
        try backend.conv2dForward(input: x, kernel: k, bias: nil, geometry: same, into: ySame)
        XCTAssertEqual(try backend.download(ySame), [-4, -4, 3, -4, -4, 6, 7, 8, 9])
        // Backward of sum(y): each input gets the sum of the kernel taps that touch it.
        let ones = try backend.upload([1, 1, 1, 1], shape: valid.outputShape)
        let gx = try backend.makeTensor(shape: x.shape)
        try backend.conv2dBackwardInput(gradOutput: ones, kernel: k, geometry: valid, into: gx)
        XCTAssertEqual(try backend.download(gx), [1, 1, 0, 1, 0, -1, 0, -1, -1])
        let gk = try backend.makeTensor(shape: k.shape), gb = try backend.makeTensor(shape: [1])
        try backend.conv2dBackwardKernel(input: x, gradOutput: ones, geometry: valid, kernelGradient: gk, biasGradient: gb)
        XCTAssertEqual(try backend.download(gk), [12, 16, 24, 28])   // each tap summed over the four windows
        XCTAssertEqual(try backend.download(gb), [4])
    }

    func testBadShapesThrow() throws {
        XCTAssertThrowsError(try Conv2DGeometry(inputShape: [1, 28, 28, 3], kernelShape: [3, 3, 1, 32])) { error in
            XCTAssertTrue("\(error)".contains("[3, 3, 1, 32]") && "\(error)".contains("[1, 28, 28, 3]"), "\(error)")
        }
        XCTAssertThrowsError(try Conv2DGeometry(inputShape: [1, 2, 2, 1], kernelShape: [3, 3, 1, 1]))
        XCTAssertThrowsError(try Conv2DGeometry(inputShape: [1, 5, 5, 1], kernelShape: [3, 3, 1, 1], strideHeight: 0))
        let backend = TestBackends.reference
        let g = try Conv2DGeometry(inputShape: [1, 5, 5, 1], kernelShape: [3, 3, 1, 2])
        XCTAssertThrowsError(try backend.conv2dForward(input: try backend.makeTensor(shape: [1, 5, 5, 1]),
                                                       kernel: try backend.makeTensor(shape: [3, 3, 1, 2]), bias: nil,
                                                       geometry: g, into: try backend.makeTensor(shape: [1, 4, 4, 2]))) { error in
            XCTAssertTrue("\(error)".contains("[1, 3, 3, 2]") && "\(error)".contains("[1, 4, 4, 2]"), "\(error)")
        }
    }
}
