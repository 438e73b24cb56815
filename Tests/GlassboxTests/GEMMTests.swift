import Glassbox
import GlassboxTestSupport
import XCTest

final class GEMMTests: XCTestCase {
    /// Forward tolerance of the issue: float32 kernels against a Double reference.
    let tolerance = 1e-5

    func testAllTransposesAndEpiloguesAgreeWithReference() throws {
        var random = SeededGenerator(seed: 1)
        // Sizes that are multiples of no tile (4 rows, 16 columns, 16x16 tiles) next to ones that are.
        // (300, 10, 128) and (257, 3, 40): fewer than 16 columns over a long k and many rows take
        // the transposed dot-product path on CPU devices; (1, 3, 40) and (3, 45, 31): fewer rows
        // than a work-item's block; with B transposed, a short k over many rows takes
        // gemm_panel_nt on CPU devices (its private panel of B transposed 16 x 16 in registers,
        // k tails of 3, 5 and 4: (64, 16, 3), (259, 128, 37), (263, 96, 20); 259 and 263 rows span
        // five of its 64-row work-items), or where 16 columns do not divide n, transposes B in
        // global memory (70, 37, 45) (tiles cut by the edge).
        // From 256 rows the large tile: (259, 128, 37) all 8 column vectors, rows ragged by 1 of 3;
        // (263, 96, 20) vectors halved to 2 (96 is no multiple of 128 or 64); (256, 200, 9) halved
        // to 1, with 8 columns on the scalar edge.
        let sizes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 7, 5), (33, 17, 29), (32, 128, 64), (5, 33, 100), (64, 16, 3),
                                                 (300, 10, 128), (257, 3, 40), (1, 3, 40), (3, 45, 31), (70, 37, 45), (64, 160, 48),
                                                 (259, 128, 37), (263, 96, 20), (256, 200, 9)]
        for (m, n, k) in sizes {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    for (withBias, accumulate) in [(false, false), (true, false), (true, true)] {
                        let label = "gemm m\(m) n\(n) k\(k) tA\(transposeA) tB\(transposeB) bias\(withBias) acc\(accumulate)"
                        var tensors: [NamedTensor] = [
                            .input("a", transposeA ? [k, m] : [m, k], random.floats(m * k)),
                            .input("b", transposeB ? [n, k] : [k, n], random.floats(k * n)),
                            .input("bias", [n], random.floats(n)),
                        ]
                        // Accumulating reads c: give it values; otherwise poison it.
                        tensors.append(accumulate ? .input("c", [m, n], random.floats(m * n)) : .output("c", [m, n]))
                        try assertBackendsAgree(label, tensors, compare: ["c"], tolerance: tolerance) { backend, t in
                            try backend.gemm(t["a"]!, t["b"]!, into: t["c"]!, transposeA: transposeA, transposeB: transposeB,
                                             bias: withBias ? t["bias"] : nil, accumulate: accumulate)
                        }
                    }
                }
            }
        }
    }

    /// A Dense layer's forward pass: the GEMM with the bias and relu in its epilogue (one launch on
    /// OpenCL), and other activations after it, in both variants and with other tile sizes.
    func testDenseForwardWithActivationInTheEpilogueAgrees() throws {
        var random = SeededGenerator(seed: 3)
        let backends = try TestBackends.openCLBackends() + TestBackends.tunedOpenCLBackends()
        for (m, n, k) in [(37, 45, 29), (4, 128, 70), (1, 3, 5), (301, 10, 128), (1, 128, 300)] {
            for activation in [Activation.linear, .relu, .sigmoid] {
                for withBias in [true, false] {
                    try assertBackendsAgree("dense m\(m) n\(n) k\(k) \(activation) bias\(withBias)", [
                        .input("x", [m, k], random.floats(m * k)), .input("w", [k, n], random.floats(k * n)),
                        .input("bias", [n], random.floats(n)), .output("y", [m, n]),
                    ], compare: ["y"], tolerance: tolerance, backends: backends) { backend, t in
                        try backend.denseForward(t["x"]!, weights: t["w"]!, bias: withBias ? t["bias"] : nil, activation: activation, into: t["y"]!)
                    }
                }
            }
        }
        // relu keeps NaN (as the separate relu kernel does) and zeroes negatives.
        for backend in backends {
            let x = try backend.upload([1, 2, -3, 2], shape: [2, 2])
            let w = try backend.upload([1, 0, 0, 1], shape: [2, 2])
            let bias = try backend.upload([0, .nan], shape: [2])
            let y = try backend.makeTensor(shape: [2, 2])
            try backend.denseForward(x, weights: w, bias: bias, activation: .relu, into: y)
            let values = try backend.download(y)
            XCTAssertTrue(values[0] == 1 && values[1].isNaN && values[2] == 0 && values[3].isNaN, "\(backend.name): \(values)")
        }
    }

    /// A Dense layer's backward pass: on OpenCL the relu derivative is applied as dY is loaded by
    /// the two transposed GEMMs and the bias gradient is summed inside the dW GEMM; both variants,
    /// other tile sizes, ragged sizes, with and without the input gradient. Output gradients are
    /// random with both signs and the forward output has zeros (relu's off units) and NaN-free values.
    func testDenseBackwardWithFusedReluAndBiasGradientAgrees() throws {
        var random = SeededGenerator(seed: 4)
        let backends = try TestBackends.openCLBackends() + TestBackends.tunedOpenCLBackends()
        // (33, 128, 270): the weight gradient is 270 x 128, the large tile with the fused mask and sums.
        for (m, n, k) in [(37, 45, 29), (33, 128, 70), (1, 3, 5), (300, 10, 17), (33, 128, 270)] {
            for activation in [Activation.linear, .relu, .sigmoid] {
                for withInputGradient in [true, false] {
                    // y as the forward pass leaves it: for relu about half the units are exactly 0.
                    let y = random.floats(m * n).map { activation == .relu ? max($0, 0) : activation == .sigmoid ? 1 / (1 + exp(-$0)) : $0 }
                    var tensors: [NamedTensor] = [
                        .input("x", [m, k], random.floats(m * k)), .input("w", [k, n], random.floats(k * n)),
                        .input("y", [m, n], y), .input("dy", [m, n], random.floats(m * n)),
                        .output("dw", [k, n]), .output("db", [n]),
                    ]
                    if withInputGradient { tensors.append(.output("dx", [m, k])) }
                    try assertBackendsAgree("dense backward m\(m) n\(n) k\(k) \(activation) dx\(withInputGradient)", tensors,
                                            tolerance: tolerance, backends: backends) { backend, t in
                        try backend.denseBackward(t["x"]!, weights: t["w"]!, output: t["y"]!, activation: activation, gradOutput: t["dy"]!,
                                                  weightGradient: t["dw"]!, biasGradient: t["db"]!,
                                                  inputGradient: withInputGradient ? t["dx"] : nil)
                    }
                }
            }
        }
        // By hand: relu's off unit (y = 0) passes no gradient to w, b or x; NaN in y counts as off.
        for backend in [TestBackends.reference as any Backend] + backends {
            let x = try backend.upload([1, 2], shape: [1, 2])
            let w = try backend.upload([1, 2, 3, 4, 5, 6], shape: [2, 3])
            let y = try backend.upload([0.5, 0, .nan], shape: [1, 3])
            let dy = try backend.upload([1, 10, 100], shape: [1, 3])
            let (dw, db, dx) = (try backend.makeTensor(shape: [2, 3]), try backend.makeTensor(shape: [3]), try backend.makeTensor(shape: [1, 2]))
            try backend.denseBackward(x, weights: w, output: y, activation: .relu, gradOutput: dy, weightGradient: dw, biasGradient: db, inputGradient: dx)
            XCTAssertEqual(try backend.download(dw), [1, 0, 0, 2, 0, 0], "\(backend.name)")
            XCTAssertEqual(try backend.download(db), [1, 0, 0], "\(backend.name)")
            XCTAssertEqual(try backend.download(dx), [1, 4], "\(backend.name)")
        }
    }

    func testReferenceCNNDenseShape() throws {
        var random = SeededGenerator(seed: 2)
        let (m, n, k) = (33, 128, 5408)
        try assertBackendsAgree("gemm dense 33x5408x128", [
            .input("a", [m, k], random.floats(m * k)), .input("b", [k, n], random.floats(k * n, in: -0.05...0.05)),
            .input("bias", [n], random.floats(n)), .output("c", [m, n]),
        ], tolerance: tolerance) { backend, t in
            try backend.gemm(t["a"]!, t["b"]!, into: t["c"]!, bias: t["bias"])
        }
    }

    func testHandComputedProduct() throws {
        let backend = TestBackends.reference
        let a = try backend.upload([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = try backend.upload([7, 8, 9, 10, 11, 12], shape: [3, 2])
        let c = try backend.makeTensor(shape: [2, 2])
        try backend.gemm(a, b, into: c, bias: try backend.upload([1, -1], shape: [2]))
        XCTAssertEqual(try backend.download(c), [59, 63, 140, 153])
        try backend.gemm(a, a, into: c, transposeB: true)   // a a^T
        XCTAssertEqual(try backend.download(c), [14, 32, 32, 77])
    }

    func testMismatchedShapesThrowNamingBothShapes() throws {
        for backend in [TestBackends.reference as any Backend] + ((try? TestBackends.openCLBackends()) ?? []) {
            let a = try backend.makeTensor(shape: [3, 4])
            let b = try backend.makeTensor(shape: [5, 2])
            let c = try backend.makeTensor(shape: [3, 2])
            XCTAssertThrowsError(try backend.gemm(a, b, into: c)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("[5, 2]") && text.contains("[3, 4]"), "message should name both shapes: \(text)")
            }
        }
    }
}
