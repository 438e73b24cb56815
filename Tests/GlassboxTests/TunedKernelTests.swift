import Glassbox
import GlassboxTestSupport
import XCTest

/// Every tunable kernel under ``TestBackends/alternativeTunings`` (each parameter away from its
/// default) against the CPU reference, at sizes that are multiples of no tile; the defaults are
/// covered by the per-op tests. Outputs are poisoned first; inputs are random.
final class TunedKernelTests: XCTestCase {
    func backends() throws -> [OpenCLBackend] {
        let backends = try TestBackends.tunedOpenCLBackends()
        for backend in backends {
            XCTAssertEqual(backend.tuning.differencesFromDefaults.count, TunableParameter.all.filter {
                backend.tuning[keyPath: $0.keyPath] != KernelTuning.defaults(for: backend.variant)[keyPath: $0.keyPath]
            }.count)
            XCTAssertGreaterThanOrEqual(backend.tuning.differencesFromDefaults.count, 8, "\(backend.variant): too few parameters changed")
        }
        return backends
    }

    func testGEMMInEveryTransposeAgrees() throws {
        var random = SeededGenerator(seed: 71)
        // 301 rows: gemmRowsLarge; (70, 64, 70) with B transposed: gemm_panel_nt at 3 rows x 1
        // vector, 66 rows per work-item (the second has 4), a k of 4 blocks and a tail of 6.
        for (m, n, k) in [(37, 45, 29), (13, 64, 70), (5, 3, 17), (301, 35, 9), (70, 64, 70)] {
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                for accumulate in [false, true] {
                    var tensors: [NamedTensor] = [
                        .input("a", transposeA ? [k, m] : [m, k], random.floats(m * k)),
                        .input("b", transposeB ? [n, k] : [k, n], random.floats(k * n)),
                        .input("bias", [n], random.floats(n)),
                    ]
                    tensors.append(accumulate ? .input("c", [m, n], random.floats(m * n)) : .output("c", [m, n]))
                    try assertBackendsAgree("tuned gemm \(m)x\(n)x\(k) tA\(transposeA) tB\(transposeB) acc\(accumulate)", tensors,
                                            compare: ["c"], tolerance: 1e-5, backends: try backends()) { backend, t in
                        try backend.gemm(t["a"]!, t["b"]!, into: t["c"]!, transposeA: transposeA, transposeB: transposeB,
                                         bias: t["bias"], accumulate: accumulate)
                    }
                }
            }
        }
    }

    func testConvolutionForwardBackwardAndFusedPoolAgree() throws {
        var random = SeededGenerator(seed: 72)
        // 16, 32 and 64 output channels take the shape-specialised kernel (64: four 16-channel
        // blocks per work-item under the tuned parameters), 5 the general one.
        for (channelsOut, stride, padding) in [(32, 1, Padding.valid), (5, 2, Padding.same), (16, 1, Padding.same), (64, 1, Padding.valid)] {
            let g = try Conv2DGeometry(inputShape: [3, 11, 13, 2], kernelShape: [3, 3, 2, channelsOut],
                                       strideHeight: stride, strideWidth: stride, padding: padding)
            let label = "tuned conv co\(channelsOut) s\(stride) \(padding)"
            try assertBackendsAgree(label + " forward", [
                .input("x", g.inputShape, random.floats(g.inputShape.elementCount)),
                .input("k", g.kernelShape, random.floats(g.kernelShape.elementCount)),
                .input("bias", [channelsOut], random.floats(channelsOut)), .output("y", g.outputShape),
            ], tolerance: 1e-5, backends: try backends()) { backend, t in
                try backend.conv2dForward(input: t["x"]!, kernel: t["k"]!, bias: t["bias"], geometry: g, into: t["y"]!)
            }
            try assertBackendsAgree(label + " backward", [
                .input("x", g.inputShape, random.floats(g.inputShape.elementCount)),
                .input("k", g.kernelShape, random.floats(g.kernelShape.elementCount)),
                .input("dy", g.outputShape, random.floats(g.outputShape.elementCount)),
                .output("dk", g.kernelShape), .output("db", [channelsOut]), .output("dx", g.inputShape),
            ], tolerance: 1e-5, backends: try backends()) { backend, t in
                try backend.conv2dBackwardKernel(input: t["x"]!, gradOutput: t["dy"]!, geometry: g,
                                                 kernelGradient: t["dk"]!, biasGradient: t["db"]!)
                try backend.conv2dBackwardInput(gradOutput: t["dy"]!, kernel: t["k"]!, geometry: g, into: t["dx"]!)
            }
        }
        let g = try Conv2DGeometry(inputShape: [2, 9, 9, 1], kernelShape: [3, 3, 1, 32])
        let pool = try Pool2DGeometry(inputShape: g.outputShape)
        try assertBackendsAgree("tuned conv + pool fused", [
            .input("x", g.inputShape, random.floats(g.inputShape.elementCount)),
            .input("k", g.kernelShape, random.floats(g.kernelShape.elementCount)),
            .input("bias", [32], random.floats(32)), .output("y", pool.outputShape),
        ], tolerance: 1e-5, backends: try backends()) { backend, t in
            try backend.conv2dPoolForward(input: t["x"]!, kernel: t["k"]!, bias: t["bias"], geometry: g, pool: pool,
                                          activation: .relu, into: t["y"]!)
        }
        // 64 filters take four 16-channel blocks per work-item under the tuned parameters.
        for (filters, poolSize) in [(32, 2), (64, 3)] {
            let trainingGeometry = try Conv2DGeometry(inputShape: [3, 8, 8, 1], kernelShape: [3, 3, 1, filters])
            let trainingPool = try Pool2DGeometry(inputShape: trainingGeometry.outputShape, poolHeight: poolSize, poolWidth: poolSize)
            try assertBackendsAgree("tuned training conv + pool fused, \(filters) filters, pool \(poolSize)", [
                .input("x", trainingGeometry.inputShape, random.floats(trainingGeometry.inputShape.elementCount)),
                .input("k", trainingGeometry.kernelShape, random.floats(trainingGeometry.kernelShape.elementCount)),
                .input("bias", [filters], random.floats(filters)), .output("a", trainingGeometry.outputShape),
                .output("y", trainingPool.outputShape),
            ], tolerance: 1e-5, backends: try backends()) { backend, t in
                try backend.conv2dActivationPoolForward(input: t["x"]!, kernel: t["k"]!, bias: t["bias"], geometry: trainingGeometry,
                                                        pool: trainingPool, activation: .relu, activations: t["a"]!, into: t["y"]!)
            }
            try assertBackendsAgree("tuned first-layer kernel gradient through pool, \(filters) filters, pool \(poolSize)", [
                .input("x", trainingGeometry.inputShape, random.floats(trainingGeometry.inputShape.elementCount)),
                .input("a", trainingGeometry.outputShape, random.floats(trainingGeometry.outputShape.elementCount).map { max($0, 0) }),
                .input("dy", trainingPool.outputShape, random.floats(trainingPool.outputShape.elementCount)),
                .output("scratch", trainingGeometry.outputShape), .output("dk", trainingGeometry.kernelShape), .output("db", [filters]),
            ], compare: ["dk", "db"], tolerance: 1e-5, backends: try backends()) { backend, t in
                try backend.conv2dKernelGradientThroughMaxPoolRelu(input: t["x"]!, activations: t["a"]!, gradOutput: t["dy"]!,
                                                                   geometry: trainingGeometry, pool: trainingPool, scratch: t["scratch"]!,
                                                                   kernelGradient: t["dk"]!, biasGradient: t["db"]!)
            }
        }
    }

    func testPoolingAgrees() throws {
        var random = SeededGenerator(seed: 73)
        // 16 channels take the vector kernels, 3 the general ones; 9x7 leaves a ragged edge.
        for channels in [16, 3] {
            let g = try Pool2DGeometry(inputShape: [3, 9, 7, channels])
            try assertBackendsAgree("tuned maxpool c\(channels)", [
                .input("x", g.inputShape, random.floats(g.inputShape.elementCount)),
                .input("dy", g.outputShape, random.floats(g.outputShape.elementCount)),
                .output("y", g.outputShape), .output("dx", g.inputShape),
            ], tolerance: 1e-6, backends: try backends()) { backend, t in
                try backend.maxPool2dForward(input: t["x"]!, geometry: g, into: t["y"]!)
                try backend.maxPool2dBackward(input: t["x"]!, gradOutput: t["dy"]!, geometry: g, into: t["dx"]!)
            }
            try assertBackendsAgree("tuned maxpool through relu c\(channels)", [
                .input("x", g.inputShape, random.floats(g.inputShape.elementCount).map { max($0, 0) }),
                .input("dy", g.outputShape, random.floats(g.outputShape.elementCount)), .output("dx", g.inputShape),
            ], tolerance: 1e-6, backends: try backends()) { backend, t in
                try backend.maxPool2dReluBackward(input: t["x"]!, gradOutput: t["dy"]!, geometry: g, into: t["dx"]!)
            }
        }
    }

    func testPerturbationAndSegmentTableSweepsAgree() throws {
        var random = SeededGenerator(seed: 74)
        let masks = (0..<37).map { _ in random.next() }
        let segments = (0..<30).map { _ in Float(Int.random(in: 0..<10, using: &random)) }
        for references in [1, 3] {
            try assertBackendsAgree("tuned expand_masks x\(references)", [
                .input("x", [1, 6, 5, 2], random.floats(60)), .input("baseline", [references, 6, 5, 2], random.floats(60 * references)),
                .input("segments", [30], segments), .output("batch", [37 * references, 6, 5, 2]),
            ], tolerance: 0, backends: try backends()) { backend, t in
                try backend.expandMasks(masks, input: t["x"]!, baseline: t["baseline"]!, segments: t["segments"]!, into: t["batch"]!)
            }
        }
        let groups = [MaskedRowGroup(segments: [3], offset: 0), MaskedRowGroup(segments: [0, 5, 63], offset: 2),
                      MaskedRowGroup(segments: [1, 2], offset: 10)]
        try assertBackendsAgree("tuned segment_table_sweep", [
            .input("table", [14, 48], random.floats(14 * 48)), .input("bias", [48], random.floats(48)), .output("y", [37, 48]),
        ], tolerance: 1e-6, backends: try backends()) { backend, t in
            try backend.segmentTableSweep(masks, table: t["table"]!, groups: groups, bias: t["bias"]!, into: t["y"]!)
        }
        let layout = SegmentTableLayout(channels: 3, groupPositions: [[0, 2], [1], [3, 4, 5]], partGroups: [0, 0, 1, 2, 2],
                                        partImages: [0, 1, 2, 3, 0], rowParts: [[0, 2], [1], [3, 4, 2], [4]])
        try assertBackendsAgree("tuned segment_table_rows", [
            .input("features", [4, 18], random.floats(72)), .input("weights", [18, 48], random.floats(18 * 48)), .output("table", [4, 48]),
        ], tolerance: 1e-6, backends: try backends()) { backend, t in
            try backend.segmentTableRows(features: t["features"]!, weights: t["weights"]!, layout: layout, into: t["table"]!)
        }
    }

    func testElementwiseAndSumsAgree() throws {
        var random = SeededGenerator(seed: 75)
        let count = 10_007
        try assertBackendsAgree("tuned relu, sum, reduce", [
            .input("x", [count], random.floats(count)), .input("dy", [count], random.floats(count)),
            .output("y", [count]), .output("dx", [count]), .output("total", [1]), .output("rows", [7, 3]),
        ], tolerance: 1e-5, backends: try backends()) { backend, t in
            try backend.relu(t["x"]!, into: t["y"]!)
            try backend.reluBackward(gradOutput: t["dy"]!, input: t["x"]!, into: t["dx"]!)
            try backend.sum(t["x"]!, into: t["total"]!, accumulate: false)
            let block = try backend.upload(Array(try backend.download(t["x"]!)[..<(7 * 11 * 3)]), shape: [7, 11, 3])
            try backend.reduceAxis(block, outer: 7, axis: 11, inner: 3, mean: false, into: t["rows"]!)
        }
    }
}
