import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

final class DeepShapTests: XCTestCase {
    func testDeepLiftOpsAgreeWithReference() throws {
        var random = SeededGenerator(seed: 70)
        for activation in [Activation.relu, .sigmoid, .tanh] {
            let zx = random.floats(300, in: -2...2)
            var zr = random.floats(300, in: -2...2)
            for i in stride(from: 0, to: 300, by: 7) { zr[i] = zx[i] }   // equal inputs take the derivative
            func apply(_ z: [Float]) -> [Float] {
                z.map { v in activation == .relu ? max(v, 0) : activation == .sigmoid ? 1 / (1 + exp(-v)) : tanh(v) }
            }
            try assertBackendsAgree("deeplift_rescale \(activation)", [
                .input("m", [300], random.floats(300)), .input("zx", [300], zx), .input("zr", [300], zr),
                .input("yx", [300], apply(zx)), .input("yr", [300], apply(zr)), .output("g", [300]),
            ], tolerance: 1e-4) { backend, t in
                try backend.deepLiftRescale(gradOutput: t["m"]!, preactivation: t["zx"]!, referencePreactivation: t["zr"]!,
                                            output: t["yx"]!, referenceOutput: t["yr"]!, activation: activation, into: t["g"]!)
            }
        }
        // Disjoint windows, and overlapping `same` windows reaching past the edges.
        for g in [try Pool2DGeometry(inputShape: [3, 6, 7, 16]),
                  try Pool2DGeometry(inputShape: [2, 5, 6, 3], poolHeight: 3, poolWidth: 3, strideHeight: 2, strideWidth: 1, padding: .same)] {
            let ix = random.floats(g.inputShape.elementCount), ir = random.floats(g.inputShape.elementCount)
            let reference = CPUBackend()
            func pooled(_ values: [Float]) throws -> [Float] {
                let y = try reference.makeTensor(shape: g.outputShape)
                try reference.maxPool2dForward(input: try reference.upload(values, shape: g.inputShape), geometry: g, into: y)
                return try reference.download(y)
            }
            try assertBackendsAgree("deeplift_maxpool \(g.inputShape) \(g.padding)", [
                .input("m", g.outputShape, random.floats(g.outputShape.elementCount)), .input("ix", g.inputShape, ix), .input("ir", g.inputShape, ir),
                .input("ox", g.outputShape, try pooled(ix)), .input("or", g.outputShape, try pooled(ir)), .output("g", g.inputShape),
            ], tolerance: 1e-4) { backend, t in
                try backend.deepLiftMaxPool(gradOutput: t["m"]!, input: t["ix"]!, referenceInput: t["ir"]!, output: t["ox"]!,
                                            referenceOutput: t["or"]!, geometry: g, into: t["g"]!)
            }
        }
    }

    /// DeepSHAP's one-copy input: a reference side of one sample stands for itself repeated over
    /// the batch, on every backend, for both rules; and swapping the two sides (as DeepShap does,
    /// the background as `self`) gives the same multipliers.
    func testDeepLiftOpsBroadcastAOneSampleReference() throws {
        var random = SeededGenerator(seed: 71)
        let (batch, sample) = (5, 37)   // 37: no tile or vector width divides it
        let zx = random.floats(batch * sample, in: -2...2)
        var z1 = random.floats(sample, in: -2...2)
        z1[3] = zx[sample + 3]   // an equal pair takes the derivative fallback
        let repeated = (0..<(batch * sample)).map { z1[$0 % sample] }
        let m = random.floats(batch * sample)
        func relu(_ z: [Float]) -> [Float] { z.map { max($0, 0) } }
        let broadcast = try assertBackendsAgree("deeplift_rescale one-sample reference", [
            .input("m", [batch, sample], m), .input("zx", [batch, sample], zx), .input("zr", [1, sample], z1),
            .input("yx", [batch, sample], relu(zx)), .input("yr", [1, sample], relu(z1)), .output("g", [batch, sample]),
        ], tolerance: 1e-5) { backend, t in
            try backend.deepLiftRescale(gradOutput: t["m"]!, preactivation: t["zx"]!, referencePreactivation: t["zr"]!,
                                        output: t["yx"]!, referenceOutput: t["yr"]!, activation: .relu, into: t["g"]!)
        }
        let cpu = TestBackends.reference
        let g = try cpu.makeTensor(shape: [batch, sample])
        try cpu.deepLiftRescale(gradOutput: try cpu.upload(m, shape: [batch, sample]), preactivation: try cpu.upload(repeated, shape: [batch, sample]),
                                referencePreactivation: try cpu.upload(zx, shape: [batch, sample]), output: try cpu.upload(relu(repeated), shape: [batch, sample]),
                                referenceOutput: try cpu.upload(relu(zx), shape: [batch, sample]), activation: .relu, into: g)
        XCTAssertLessThanOrEqual(relativeError(try cpu.download(g), broadcast["g"]!), 1e-6, "rescale with the sides swapped and repeated")

        // The general kernel (3 channels) and the float16 one (16 channels, disjoint windows).
        for (height, width, channels) in [(5, 7, 3), (4, 6, 16)] {
            let pool = try Pool2DGeometry(inputShape: [batch, height, width, channels])
            let one = try Pool2DGeometry(inputShape: [1, height, width, channels])
            func pooled(_ values: [Float], _ geometry: Pool2DGeometry) throws -> [Float] {
                let y = try cpu.makeTensor(shape: geometry.outputShape)
                try cpu.maxPool2dForward(input: try cpu.upload(values, shape: geometry.inputShape), geometry: geometry, into: y)
                return try cpu.download(y)
            }
            let ib = random.floats(pool.inputShape.elementCount), i1 = random.floats(one.inputShape.elementCount)
            let mp = random.floats(pool.outputShape.elementCount)
            let pooledBroadcast = try assertBackendsAgree("deeplift_maxpool one-sample reference, \(channels) channels", [
                .input("m", pool.outputShape, mp), .input("ib", pool.inputShape, ib), .input("i1", one.inputShape, i1),
                .input("ob", pool.outputShape, try pooled(ib, pool)), .input("o1", one.outputShape, try pooled(i1, one)), .output("g", pool.inputShape),
            ], tolerance: 1e-5) { backend, t in
                try backend.deepLiftMaxPool(gradOutput: t["m"]!, input: t["ib"]!, referenceInput: t["i1"]!, output: t["ob"]!,
                                            referenceOutput: t["o1"]!, geometry: pool, into: t["g"]!)
            }
            let i1Repeated = (0..<pool.inputShape.elementCount).map { i1[$0 % i1.count] }
            let gp = try cpu.makeTensor(shape: pool.inputShape)
            try cpu.deepLiftMaxPool(gradOutput: try cpu.upload(mp, shape: pool.outputShape), input: try cpu.upload(i1Repeated, shape: pool.inputShape),
                                    referenceInput: try cpu.upload(ib, shape: pool.inputShape),
                                    output: try cpu.upload(try pooled(i1Repeated, pool), shape: pool.outputShape),
                                    referenceOutput: try cpu.upload(try pooled(ib, pool), shape: pool.outputShape), geometry: pool, into: gp)
            XCTAssertLessThanOrEqual(relativeError(try cpu.download(gp), pooledBroadcast["g"]!), 1e-6, "max-pool rule with the sides swapped and repeated")
        }
        // A reference that is neither the batch nor one sample of it is refused, naming the op.
        XCTAssertThrowsError(try cpu.deepLiftRescale(gradOutput: try cpu.upload(m, shape: [batch, sample]), preactivation: try cpu.upload(zx, shape: [batch, sample]),
                                                     referencePreactivation: try cpu.makeTensor(shape: [2, 3]), output: try cpu.upload(zx, shape: [batch, sample]),
                                                     referenceOutput: try cpu.makeTensor(shape: [2, 3]), activation: .relu, into: g)) {
            XCTAssertTrue("\($0)".contains("deeplift_rescale"), "\($0)")
        }
    }

    /// The Conv2D + relu + MaxPool2D rule in one op (OpenCL's `deeplift_maxpool_relu16` at 16
    /// channels, the two rules' launches at 3) against the reference's two rules, with a one-sample
    /// reference side and pre-activations equal to the reference's (the derivative fallback) and
    /// ties inside windows.
    /// The operands of the max-pool and relu rule over `pool` (the background's side) and `one`
    /// (the reference's): multipliers `m`, pre-activations `zb`, `z1` (some equal across the
    /// sides, some ties at zero inside windows), their relus `yb`, `y1` and pooled relus `ob`, `o1`.
    func poolReluOperands(_ pool: Pool2DGeometry, _ one: Pool2DGeometry, _ random: inout SeededGenerator) throws -> [NamedTensor] {
        let cpu = TestBackends.reference
        let z1 = random.floats(one.inputShape.elementCount, in: -1...1)
        var zb = random.floats(pool.inputShape.elementCount, in: -1...1)
        for i in stride(from: 0, to: zb.count, by: 11) { zb[i] = z1[i % z1.count] }
        for i in stride(from: 5, to: zb.count, by: 13) { zb[i] = 0 }
        func relu(_ z: [Float]) -> [Float] { z.map { max($0, 0) } }
        func pooled(_ values: [Float], _ geometry: Pool2DGeometry) throws -> [Float] {
            let y = try cpu.makeTensor(shape: geometry.outputShape)
            try cpu.maxPool2dForward(input: try cpu.upload(values, shape: geometry.inputShape), geometry: geometry, into: y)
            return try cpu.download(y)
        }
        return [.input("m", pool.outputShape, random.floats(pool.outputShape.elementCount)),
                .input("yb", pool.inputShape, relu(zb)), .input("y1", one.inputShape, relu(z1)),
                .input("zb", pool.inputShape, zb), .input("z1", one.inputShape, z1),
                .input("ob", pool.outputShape, try pooled(relu(zb), pool)), .input("o1", one.outputShape, try pooled(relu(z1), one))]
    }

    func testFusedMaxPoolReluRuleAgreesWithItsTwoRules() throws {
        var random = SeededGenerator(seed: 74)
        for (batch, height, width, channels) in [(5, 6, 8, 16), (3, 5, 7, 3), (2, 26, 26, 32)] {
            let pool = try Pool2DGeometry(inputShape: [batch, height, width, channels])
            let one = try Pool2DGeometry(inputShape: [1, height, width, channels])
            // The default parameters, then the tuned ones (another pool work-group size).
            for backends in [nil, try TestBackends.tunedOpenCLBackends()] {
                let fused = try assertBackendsAgree("deeplift maxpool + relu \(pool.inputShape)",
                                                    try poolReluOperands(pool, one, &random) + [.output("g", pool.inputShape)],
                                                    tolerance: 1e-5, backends: backends) { backend, t in
                    try backend.deepLiftMaxPoolRelu(gradOutput: t["m"]!, input: t["yb"]!, referenceInput: t["y1"]!, preactivation: t["zb"]!,
                                                    referencePreactivation: t["z1"]!, output: t["ob"]!, referenceOutput: t["o1"]!,
                                                    geometry: pool, into: t["g"]!)
                }
                XCTAssertGreaterThan(fused["g"]!.filter { $0 != 0 }.count, fused["g"]!.count / 8, "most windows route a multiplier")
            }
        }
    }

    /// The whole Conv2D + relu + MaxPool2D rule in one op against the reference's separate rules:
    /// shapes the fused kernel takes (1 to 3 input channels, 16 to 48 filters, `valid` and `same`,
    /// 2x2 and 3x3 windows, the reference CNN's block; a one-sample and a whole-batch reference)
    /// and ones that take the two ops (17 filters, stride 2, windows that do not tile).
    func testConvBlockRuleAgreesWithItsRules() throws {
        var random = SeededGenerator(seed: 75)
        struct Block { let batch, height, width, channels, kernel, filters, stride, pool: Int; let padding: Padding; let wholeReference: Bool }
        let blocks = [
            Block(batch: 3, height: 8, width: 8, channels: 1, kernel: 3, filters: 32, stride: 1, pool: 2, padding: .valid, wholeReference: false),
            Block(batch: 2, height: 9, width: 9, channels: 2, kernel: 2, filters: 48, stride: 1, pool: 3, padding: .same, wholeReference: false),
            Block(batch: 2, height: 6, width: 10, channels: 3, kernel: 3, filters: 16, stride: 1, pool: 2, padding: .same, wholeReference: true),
            Block(batch: 4, height: 28, width: 28, channels: 1, kernel: 3, filters: 32, stride: 1, pool: 2, padding: .valid, wholeReference: false),
            Block(batch: 2, height: 10, width: 10, channels: 1, kernel: 3, filters: 17, stride: 1, pool: 2, padding: .valid, wholeReference: false),
            Block(batch: 2, height: 13, width: 13, channels: 1, kernel: 3, filters: 16, stride: 2, pool: 2, padding: .valid, wholeReference: false),
            Block(batch: 2, height: 7, width: 9, channels: 3, kernel: 3, filters: 16, stride: 1, pool: 3, padding: .same, wholeReference: false),
        ]
        for block in blocks {
            let conv = try Conv2DGeometry(inputShape: [block.batch, block.height, block.width, block.channels],
                                          kernelShape: [block.kernel, block.kernel, block.channels, block.filters],
                                          strideHeight: block.stride, strideWidth: block.stride, padding: block.padding)
            let pool = try Pool2DGeometry(inputShape: conv.outputShape, poolHeight: block.pool, poolWidth: block.pool)
            let referenceBatch = block.wholeReference ? block.batch : 1
            var referenceShape = conv.outputShape.dimensions
            referenceShape[0] = referenceBatch
            let one = try Pool2DGeometry(inputShape: try Shape(referenceShape), poolHeight: block.pool, poolWidth: block.pool)
            let label = "deeplift conv block \(conv.inputShape) k\(conv.kernelShape) s\(block.stride) \(block.padding) pool \(block.pool) reference \(referenceBatch)"
            for backends in [nil, try TestBackends.tunedOpenCLBackends()] {
                let result = try assertBackendsAgree(label, try poolReluOperands(pool, one, &random) + [
                    .input("k", conv.kernelShape, random.floats(conv.kernelShape.elementCount)),
                    .output("scratch", conv.outputShape), .output("g", conv.inputShape),
                ], compare: ["g"], tolerance: 1e-5, backends: backends) { backend, t in
                    try backend.deepLiftConvReluMaxPool(gradOutput: t["m"]!, input: t["yb"]!, referenceInput: t["y1"]!, preactivation: t["zb"]!,
                                                        referencePreactivation: t["z1"]!, output: t["ob"]!, referenceOutput: t["o1"]!,
                                                        pool: pool, kernel: t["k"]!, convolution: conv, scratch: t["scratch"]!, into: t["g"]!)
                }
                XCTAssertGreaterThan(result["g"]!.filter { $0 != 0 }.count, result["g"]!.count / 2, label)
            }
        }
    }

    /// Without nonlinearities DeepSHAP is exact: with one background image b it equals exact
    /// Shapley values with baseline b; with several, their average.
    func testLinearModelEqualsExactShapley() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        var random = SeededGenerator(seed: 71)
        let backgrounds = (0..<3).map { _ in random.floats(64, in: 0...1) }
        let segmentation = try Segmentation.grid(2, width: 8, height: 8)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let session = try InferenceSession(model: model, backend: backend)
            var expected = [Double](repeating: 0, count: 4)
            for b in backgrounds {
                let request = try ExplanationRequest(session: session, input: input, baseline: b, segmentation: segmentation, target: 1)
                let exact = try ExactShapley().explain(request).values
                for s in 0..<4 { expected[s] += exact[s] / 3 }
            }
            let request = try ExplanationRequest(session: session, input: input, baseline: [Float](repeating: 0, count: 64),
                                                 segmentation: segmentation, target: 1)
            let deep = try DeepShap(background: backgrounds).explain(request)
            for (value, truth) in zip(deep.values, expected) { XCTAssertEqual(value, truth, accuracy: 1e-5, backend.name) }
        }
    }

    /// `output: .logit` on a softmax model explains the target's logit: exactly what the
    /// probability rule gives on the same network without its softmax, with the values adding up
    /// to the logit's change (per-image efficiency), and standard errors over the background.
    func testLogitOutputExplainsTheSoftmaxInput() throws {
        let softmax = try ExplainFixtures.smallCNN()
        var linear = try Sequential(inputShape: [8, 8, 1], seed: 2, layers: [
            try Conv2D(filters: 4, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(),
            try Dense(units: 8, activation: .tanh), try Dense(units: 3),
        ])
        try linear.setParameters(softmax.parameters)
        var random = SeededGenerator(seed: 72)
        let backgrounds = (0..<5).map { _ in random.floats(64, in: 0...1) }
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            func explain(_ model: Sequential, _ output: DeepShap.Output) throws -> Explanation {
                try DeepShap(background: backgrounds, output: output).explain(try ExplainFixtures.request(
                    model, backend: backend, input: ExplainFixtures.image(), segmentation: segmentation, target: 2))
            }
            let logit = try explain(softmax, .logit), plain = try explain(linear, .probability), probability = try explain(softmax, .probability)
            XCTAssertLessThan(attributionError(logit.values, plain.values), 1e-5, backend.name)
            XCTAssertEqual(logit.prediction, plain.prediction, accuracy: 1e-5)
            XCTAssertEqual(logit.baseValue, plain.baseValue, accuracy: 1e-5)
            XCTAssertEqual(logit.efficiencyGap, 0, accuracy: 1e-4 * max(1, abs(logit.prediction - logit.baseValue)))
            XCTAssertEqual(logit.metrics["explains_logit"], 1)
            XCTAssertNil(probability.metrics["explains_logit"])
            XCTAssertGreaterThan(attributionError(probability.values, logit.values), 0.5, "the probability is another output")
            XCTAssertEqual(logit.standardErrors?.count, 9)
            XCTAssertEqual(logit.degreesOfFreedom, 4)
            XCTAssertTrue(logit.standardErrors!.allSatisfy { $0 > 0 })
        }
    }

    /// The background's forward pass is kept for the next image on the same session: explaining
    /// three images with one DeepShap gives exactly the values of a fresh DeepShap per image, on
    /// every backend (a max-pooling CNN, whose reference runners hold state), and half the passes.
    /// A second session does not find the first one's buffers.
    func testKeptBackgroundPassGivesTheSameValues() throws {
        let model = try Sequential(inputShape: [10, 10, 1], seed: 9, layers: [
            try Conv2D(filters: 4, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(),
            try Dense(units: 8, activation: .relu), try Dense(units: 3, activation: .softmax),
        ])
        var random = SeededGenerator(seed: 73)
        let backgrounds = (0..<6).map { _ in random.floats(100, in: 0...1) }
        let inputs = (0..<3).map { _ in random.floats(100, in: 0...1) }
        let segmentation = try Segmentation.grid(2, width: 10, height: 10)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let kept = DeepShap(background: backgrounds)
            for round in 0..<2 {
                let session = try InferenceSession(model: model, backend: backend)
                for (position, input) in inputs.enumerated() {
                    let request = try ExplanationRequest(session: session, input: input, baseline: input, segmentation: segmentation,
                                                         target: position % 3)
                    let reused = try kept.explain(request), fresh = try DeepShap(background: backgrounds).explain(request)
                    XCTAssertEqual(reused.values, fresh.values, "\(backend.name) round \(round) image \(position)")
                    XCTAssertEqual(reused.baseValue, fresh.baseValue)
                    XCTAssertEqual(reused.samples, position == 0 ? 7 : 1, "\(backend.name): the background's pass runs once per session, the input's once")
                }
            }
        }
    }

    /// Summation to delta on the reference CNN shape: the values add up to f(x) - mean f(b).
    func testEfficiencyOnTheReferenceCNNAndBackendsAgree() throws {
        let model = try Sequential.referenceCNN(seed: 5)
        var random = SeededGenerator(seed: 72)
        let input = random.floats(784, in: 0...1)
        let backgrounds = (0..<8).map { _ in random.floats(784, in: 0...1) }
        let results = try deepShapOnEveryBackend(model, input: input, backgrounds: backgrounds, grid: 4, width: 28, height: 28, target: 3)
            .map(\.pixelMap)
        for other in results.dropFirst() { XCTAssertLessThan(relativeError(other.map(Float.init), results[0].map(Float.init)), 1e-3) }
    }

    /// DeepSHAP on the new layers: the seed's functional model (Dense on the last axis, ReduceSum,
    /// softmax over the last axis, target a position of the (rows, classes) output) and a CNN of
    /// average pooling, a standalone tanh, global average pooling and Reshape: values add up to
    /// f(x) - E f(background) to 1e-4 on every backend, and the backends agree.
    func testEfficiencyOnTheNewLayersAndBackendsAgree() throws {
        let seedModel = try Sequential(inputShape: [6, 5, 1], seed: 4, layers: [
            try Dense(units: 7, activation: .relu), try Reduce(.sum, axis: 1), try Dense(units: 3, activation: .softmax),
        ])
        let pooled = try Sequential(inputShape: [8, 8, 2], seed: 6, layers: [
            try Conv2D(filters: 4, kernelSize: 3, activation: .relu), try AveragePooling2D(poolSize: (2, 2), strides: (1, 1)),
            ActivationLayer(.tanh), GlobalAveragePooling2D(), try Reshape([2, 2]), Flatten(), try Dense(units: 3, activation: .softmax),
        ])
        var random = SeededGenerator(seed: 73)
        for (model, target, grid) in [(seedModel, 2 * 3 + 1, (5, 6)), (pooled, 2, (8, 8))] {
            let size = model.sampleSize
            let input = random.floats(size, in: 0...1)
            let backgrounds = (0..<6).map { _ in random.floats(size, in: 0...1) }
            var maps: [[Double]] = []
            for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
                let request = try ExplanationRequest(session: try InferenceSession(model: model, backend: backend), input: input,
                                                     baseline: [Float](repeating: 0, count: size),
                                                     segmentation: try Segmentation.grid(2, width: grid.0, height: grid.1), target: target)
                let deep = try DeepShap(background: backgrounds).explain(request)
                XCTAssertLessThan(abs(deep.efficiencyGap), 1e-4, "\(model.layers.map(\.typeName)) on \(backend.name): gap \(deep.efficiencyGap)")
                let outputs = try request.session.predict(input + backgrounds.flatMap { $0 })
                let classes = model.outputCount
                XCTAssertEqual(deep.prediction, Double(outputs[target]), accuracy: 1e-5)
                XCTAssertEqual(deep.baseValue, (1...6).reduce(0.0) { $0 + Double(outputs[$1 * classes + target]) } / 6, accuracy: 1e-5)
                maps.append(deep.pixelMap)
            }
            for other in maps.dropFirst() { XCTAssertLessThan(relativeError(other.map(Float.init), maps[0].map(Float.init)), 1e-3) }
        }
    }

    /// The softmax rule alone: for random logits the multipliers times the logits' changes add up
    /// to the probability's change. A logit equal to its reference takes shap's fallback (the
    /// gradient, times a zero change), which can lose the part of the change that came through the
    /// maximum; only finiteness is asked of it.
    func testSoftmaxRuleSumsToTheProbabilityChange() {
        var random = SeededGenerator(seed: 73)
        func softmax(_ z: [Double]) -> [Double] {
            let e = z.map { exp($0 - z.max()!) }, s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        for trial in 0..<200 {
            let classes = 2 + trial % 9
            let x = random.floats(classes, in: -6...6).map(Double.init)
            var r = random.floats(classes, in: -6...6).map(Double.init)
            let target = trial % classes
            if trial % 3 == 0 {
                r[0] = x[0]
                XCTAssertTrue(DeepLiftSoftmax.multipliers(logits: x, reference: r, target: target).allSatisfy(\.isFinite))
                continue
            }
            let m = DeepLiftSoftmax.multipliers(logits: x, reference: r, target: target)
            let total = zip(m, zip(x, r)).reduce(0) { $0 + $1.0 * ($1.1.0 - $1.1.1) }
            XCTAssertEqual(total, softmax(x)[target] - softmax(r)[target], accuracy: 1e-9, "trial \(trial)")
        }
        // Identical logits: nothing changes, every multiplier falls back and the sum is zero.
        let same = DeepLiftSoftmax.multipliers(logits: [1, 2, 3], reference: [1, 2, 3], target: 1)
        XCTAssertEqual(same.count, 3)
        XCTAssertTrue(same.allSatisfy(\.isFinite))
    }

    struct ShapDeepReference: Decodable {
        struct Row: Decodable {
            let image: Int
            let target: Int
            let values: [Double]
        }
        let background: [Int]
        let explained: [Row]
    }

    /// The same numbers as shap's `DeepExplainer` (TensorFlow) on the Keras interop fixture model:
    /// three test images against a background of seven, per pixel. Fixture and how it was made:
    /// Tests/Fixtures/README.md.
    func testMatchesShapDeepExplainerOnTheKerasFixture() throws {
        let model = try Sequential.load(from: KerasInteropTests.fixtures.appendingPathComponent("keras-reference.safetensors"))
        let images = try JSONDecoder().decode(KerasInteropTests.Reference.self,
            from: Data(contentsOf: KerasInteropTests.fixtures.appendingPathComponent("keras-reference-probabilities.json"))).images
        let reference = try JSONDecoder().decode(ShapDeepReference.self,
            from: Data(contentsOf: KerasInteropTests.fixtures.appendingPathComponent("shap-deep-reference.json")))
        let pixels = images.map { $0.map { Float($0) / 255 } }
        let explainer = DeepShap(background: reference.background.map { pixels[$0] })
        XCTAssertEqual(reference.explained.count, 3)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let session = try InferenceSession(model: model, backend: backend)
            for row in reference.explained {
                let request = try ExplanationRequest(session: session, input: pixels[row.image], baseline: [Float](repeating: 0, count: 784),
                                                     segmentation: try Segmentation.grid(4, width: 28, height: 28), target: row.target)
                let deep = try explainer.explain(request)
                let error = relativeError(deep.pixelMap.map(Float.init), row.values.map(Float.init))
                // Both sides compute in float32 and divide differences of nearby activations;
                // observed: 3e-7 to 4e-6 on the CPU reference, up to 1.2e-5 on PoCL.
                XCTAssertLessThan(error, 1e-4, "\(backend.name), image \(row.image): |glassbox - shap| / |shap| = \(error)")
            }
        }
    }
}
