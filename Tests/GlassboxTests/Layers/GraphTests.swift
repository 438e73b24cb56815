import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// Graph models: the merge and batch-normalisation ops against the CPU reference and finite
/// differences, gradients summed at fan-out through a whole graph, training, files, and DeepSHAP.
final class GraphTests: XCTestCase {
    /// A small residual CNN with batch normalisation, a branch joined by Add (the model's input
    /// feeds two layers), a Concatenate, and global average pooling.
    /// `smooth` replaces the ReLU by tanh, for finite differences that cross no kink.
    static func residualModel(seed: UInt64 = 3, inputShape: [Int] = [7, 9, 2], classes: Int = 3, smooth: Bool = false) throws -> Sequential {
        try Sequential(inputShape: inputShape, seed: seed, nodes: [
            .init("stem", try Conv2D(filters: 4, kernelSize: 3, padding: .same), from: ["input"]),
            .init("stem_bn", try BatchNormalization(), from: ["stem"]),
            .init("stem_relu", ActivationLayer(smooth ? .tanh : .relu), from: ["stem_bn"]),
            .init("branch", try Conv2D(filters: 4, kernelSize: 3, padding: .same, activation: .tanh), from: ["stem_relu"]),
            .init("add", Add(), from: ["stem_relu", "branch"]),
            .init("side", try Conv2D(filters: 3, kernelSize: 1, activation: .sigmoid), from: ["input"]),
            .init("join", try Concatenate(), from: ["add", "side"]),
            .init("pool", GlobalAveragePooling2D(), from: ["join"]),
            .init("head", try Dense(units: classes, activation: .softmax), from: ["pool"]),
        ])
    }

    func testAddAndCopyBlockAgreeWithReference() throws {
        var random = SeededGenerator(seed: 91)
        for count in [1, 7, 1_001] {
            let a = random.floats(count, in: -2...2), b = random.floats(count, in: -2...2)
            let result = try assertBackendsAgree("add \(count)", [.input("a", [count], a), .input("b", [count], b), .output("c", [count])],
                                                 tolerance: 0) { backend, t in try backend.add(t["a"]!, t["b"]!, into: t["c"]!) }
            XCTAssertEqual(result["c"]!, zip(a, b).map(+))
        }
        for (outer, blockAxis, wholeAxis, inner, offset) in [(1, 1, 1, 1, 0), (3, 2, 7, 5, 4), (2, 5, 9, 13, 1), (5, 3, 3, 1, 0)] {
            let block = random.floats(outer * blockAxis * inner), whole = random.floats(outer * wholeAxis * inner)
            // Into the whole: the rest of the whole keeps its values.
            let into = try assertBackendsAgree("copy block into \(outer)x\(blockAxis)/\(wholeAxis)x\(inner)", [
                .input("block", [block.count], block), .input("whole", [whole.count], whole),
            ], compare: ["whole"], tolerance: 0) { backend, t in
                try backend.copyBlock(t["block"]!, t["whole"]!, outer: outer, blockAxis: blockAxis, wholeAxis: wholeAxis, inner: inner,
                                      offset: offset, toWhole: true)
            }
            var expected = whole
            for o in 0..<outer { for a in 0..<blockAxis { for i in 0..<inner {
                expected[(o * wholeAxis + offset + a) * inner + i] = block[(o * blockAxis + a) * inner + i]
            } } }
            XCTAssertEqual(into["whole"]!, expected)
            // Out of the whole, into a poisoned block.
            let out = try assertBackendsAgree("copy block out", [.input("whole", [whole.count], whole), .output("block", [block.count])],
                                              tolerance: 0) { backend, t in
                try backend.copyBlock(t["block"]!, t["whole"]!, outer: outer, blockAxis: blockAxis, wholeAxis: wholeAxis, inner: inner,
                                      offset: offset, toWhole: false)
            }
            XCTAssertEqual(out["block"]!.count, block.count)
            XCTAssertEqual(out["block"]![0], whole[offset * inner])
        }
        XCTAssertThrowsError(try CPUBackend().copyBlock(try CPUBackend().makeTensor(shape: [6]), try CPUBackend().makeTensor(shape: [6]),
                                                        outer: 1, blockAxis: 3, wholeAxis: 6, inner: 1, offset: 4, toWhole: true)) {
            XCTAssertTrue("\($0)".contains("does not fit"), "\($0)")
        }
    }

    func testBatchNormOpsAgreeWithReference() throws {
        var random = SeededGenerator(seed: 92)
        for (rows, channels) in [(1, 1), (5, 3), (37, 17), (2 * 28 * 28, 5)] {
            let x = random.floats(rows * channels, in: -3...3).map { $0 * 2 + 1 }
            let gamma = random.floats(channels, in: 0.5...1.5), beta = random.floats(channels, in: -1...1)
            let g = random.floats(rows * channels, in: -1...1)
            let stats = try assertBackendsAgree("batch norm statistics \(rows)x\(channels)", [
                .input("x", [rows * channels], x), .output("mean", [channels]), .output("variance", [channels]),
            ], tolerance: 1e-5) { backend, t in try backend.batchNormStatistics(t["x"]!, channels: channels, mean: t["mean"]!, variance: t["variance"]!) }
            let mean = stats["mean"]!, variance = stats["variance"]!
            for c in 0..<channels {
                let column = (0..<rows).map { Double(x[$0 * channels + c]) }
                let average = column.reduce(0, +) / Double(rows)
                XCTAssertEqual(Double(mean[c]), average, accuracy: 1e-5)
                XCTAssertEqual(Double(variance[c]), column.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(rows), accuracy: 1e-4)
            }
            try assertBackendsAgree("batch norm forward", [
                .input("x", [rows * channels], x), .input("mean", [channels], mean), .input("variance", [channels], variance),
                .input("gamma", [channels], gamma), .input("beta", [channels], beta), .output("y", [rows * channels]),
            ], tolerance: 1e-5) { backend, t in
                try backend.batchNormForward(t["x"]!, mean: t["mean"]!, variance: t["variance"]!, gamma: t["gamma"]!, beta: t["beta"]!,
                                             epsilon: 1e-3, into: t["y"]!)
            }
            try assertBackendsAgree("batch norm backward", [
                .input("g", [rows * channels], g), .input("x", [rows * channels], x), .input("mean", [channels], mean),
                .input("variance", [channels], variance), .input("gamma", [channels], gamma),
                .output("gx", [rows * channels]), .output("gg", [channels]), .output("gb", [channels]),
            ], tolerance: 1e-4) { backend, t in
                try backend.batchNormBackward(gradOutput: t["g"]!, input: t["x"]!, mean: t["mean"]!, variance: t["variance"]!, gamma: t["gamma"]!,
                                              epsilon: 1e-3, gradInput: t["gx"]!, gradGamma: t["gg"]!, gradBeta: t["gb"]!)
            }
            try assertBackendsAgree("moving average", [.input("moving", [channels], gamma), .input("value", [channels], beta)],
                                    compare: ["moving"], tolerance: 1e-6) { backend, t in
                try backend.movingAverage(t["moving"]!, toward: t["value"]!, momentum: 0.9)
            }
        }
    }

    /// Training-mode batch normalisation (statistics, then normalisation) against central
    /// differences of `sum(w * y)`, for the input and for gamma and beta.
    func testBatchNormGradientsMatchFiniteDifferences() throws {
        let backend = TestBackends.reference
        var random = SeededGenerator(seed: 93)
        let (rows, channels) = (6, 3)
        let x = random.floats(rows * channels, in: -2...2), gamma = random.floats(channels, in: 0.5...1.5)
        let beta = random.floats(channels, in: -1...1), w = random.floats(rows * channels)
        func forward(_ x: [Float], _ gamma: [Float], _ beta: [Float]) throws -> [Float] {
            let input = try backend.upload(x, shape: [rows, channels])
            let mean = try backend.makeTensor(shape: [channels]), variance = try backend.makeTensor(shape: [channels])
            try backend.batchNormStatistics(input, channels: channels, mean: mean, variance: variance)
            let y = try backend.makeTensor(shape: [rows, channels])
            try backend.batchNormForward(input, mean: mean, variance: variance, gamma: try backend.upload(gamma, shape: [channels]),
                                         beta: try backend.upload(beta, shape: [channels]), epsilon: 1e-3, into: y)
            return try backend.download(y)
        }
        let input = try backend.upload(x, shape: [rows, channels])
        let mean = try backend.makeTensor(shape: [channels]), variance = try backend.makeTensor(shape: [channels])
        try backend.batchNormStatistics(input, channels: channels, mean: mean, variance: variance)
        let gx = try backend.makeTensor(shape: [rows, channels]), gg = try backend.makeTensor(shape: [channels]), gb = try backend.makeTensor(shape: [channels])
        try backend.batchNormBackward(gradOutput: try backend.upload(w, shape: [rows, channels]), input: input, mean: mean, variance: variance,
                                      gamma: try backend.upload(gamma, shape: [channels]), epsilon: 1e-3, gradInput: gx, gradGamma: gg, gradBeta: gb)
        let numericX = try FiniteDifferenceTests.numericGradient(x, step: 1e-2, weights: w) { try forward($0, gamma, beta) }
        let numericGamma = try FiniteDifferenceTests.numericGradient(gamma, step: 1e-2, weights: w) { try forward(x, $0, beta) }
        let numericBeta = try FiniteDifferenceTests.numericGradient(beta, step: 1e-2, weights: w) { try forward(x, gamma, $0) }
        XCTAssertLessThan(relativeError(try backend.download(gx), numericX), 2e-3)
        XCTAssertLessThan(relativeError(try backend.download(gg), numericGamma), 1e-3)
        XCTAssertLessThan(relativeError(try backend.download(gb), numericBeta), 1e-3)
    }

    func testGraphShapesNamesAndCountsAsKerasCountsThem() throws {
        let model = try Self.residualModel()
        XCTAssertFalse(model.isChain)
        XCTAssertEqual(model.layerInputs, [[-1], [0], [1], [2], [2, 3], [-1], [4, 5], [6], [7]])
        XCTAssertEqual(model.outputShapes, [[7, 9, 4], [7, 9, 4], [7, 9, 4], [7, 9, 4], [7, 9, 4], [7, 9, 3], [7, 9, 7], [7], [3]])
        // Conv 3x3x2x4 + 4; BN 4 x 4 (2 x 4 trainable); conv 3x3x4x4 + 4; conv 1x1x2x3 + 3; dense 7x3 + 3.
        let total = (72 + 4) + 16 + (144 + 4) + (6 + 3) + (21 + 3)
        XCTAssertEqual(model.parameterCount, total)
        XCTAssertEqual(model.trainableParameterCount, total - 8)
        let summary = model.summary()
        XCTAssertTrue(summary.contains("Connected to") && summary.contains("stem_relu, branch") && summary.contains("Non-trainable params: 8"), summary)
        let dot = ModelDiagram.dot(model)
        XCTAssertTrue(dot.contains("input -> layer5") && dot.contains("layer2 -> layer4") && dot.contains("layer3 -> layer4"), dot)
        XCTAssertTrue(dot.contains("layer6 -> layer7 [label=\" (None, 7, 9, 7)\""), "the Concatenate's output shape on its edge: \(dot)")
        XCTAssertEqual(model.parameterName(layer: 1, index: 3), "stem_bn.moving_variance")
        // Errors name the node.
        XCTAssertThrowsError(try Sequential(inputShape: [4], nodes: [.init("a", try Dense(units: 2), from: ["b"])])) {
            XCTAssertTrue("\($0)".contains("node 'a'") && "\($0)".contains("input 'b'"), "\($0)")
        }
        XCTAssertThrowsError(try Sequential(inputShape: [4], nodes: [.init("a", try Dense(units: 2), from: ["input"]),
                                                                     .init("b", try Dense(units: 3), from: ["input"]),
                                                                     .init("c", Add(), from: ["a", "b"])])) {
            XCTAssertTrue("\($0)".contains("'c' (Add)") && "\($0)".contains("one shape"), "\($0)")
        }
        XCTAssertThrowsError(try Sequential(inputShape: [4], nodes: [.init("a", try Dense(units: 2), from: ["input"]),
                                                                     .init("b", try Dense(units: 3), from: ["input"])])) {
            XCTAssertTrue("\($0)".contains("'a' (Dense)") && "\($0)".contains("feeds no layer"), "\($0)")
        }
        XCTAssertThrowsError(try Sequential(inputShape: [4], nodes: [.init("a", Add(), from: ["input"])])) {
            XCTAssertTrue("\($0)".contains("at least two inputs"), "\($0)")
        }
    }

    /// The input gradient of the whole graph (fan-out at the input and at `stem_relu`, Add,
    /// Concatenate, batch normalisation at inference) against central differences, on every backend.
    func testGraphInputGradientMatchesFiniteDifferences() throws {
        var model = try Self.residualModel(smooth: true)
        // Moving statistics away from 0 and 1, so that inference normalisation is not the identity.
        var parameters = model.parameters
        parameters[1][2] = [0.3, -0.2, 0.1, 0.05]
        parameters[1][3] = [1.5, 0.7, 2.0, 0.9]
        try model.setParameters(parameters)
        var random = SeededGenerator(seed: 94)
        let x = random.floats(model.sampleSize, in: -1...1)
        let target = 1
        let reference = try InferenceSession(model: model, backend: TestBackends.reference)
        let numeric = try FiniteDifferenceTests.numericGradient(x, step: 1e-2, weights: [0, 1, 0]) { try reference.predict($0) }
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let session = try InferenceSession(model: model, backend: backend)
            let analytic = try session.gradients(x, targets: [target])
            XCTAssertLessThan(relativeError(analytic, numeric), 2e-3, backend.name)
        }
    }

    /// Training a graph: the CPU reference and OpenCL agree on the loss, the parameters and the
    /// moving statistics after two epochs, the loss falls, and the parameter gradients of one
    /// step match finite differences of the training loss.
    func testTrainingAGraphAgreesAcrossBackendsAndLowersTheLoss() throws {
        let (x, y) = TrainingTests.blobs(count: 48, seed: 95)
        let model = try Self.residualModel(inputShape: [12, 12, 1], classes: 4)
        var results: [(String, [EpochReport], Sequential)] = []
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            var trained = model
            try trained.compile(optimizer: .adam, seed: 5)
            let reports = try trained.fit(x: x, y: y, epochs: 3, batchSize: 16, backend: backend, checkNumerics: .always)
            results.append((backend.name, reports, trained))
        }
        let (_, reports, trained) = results[0]
        XCTAssertLessThan(reports.last!.loss, reports.first!.loss)
        XCTAssertNotEqual(trained.parameters[1][2], model.parameters[1][2], "the moving mean moved")
        XCTAssertEqual(trained.training?.slots[1][2].count, 0, "no optimizer state for moving statistics")
        for (name, otherReports, other) in results.dropFirst() {
            XCTAssertEqual(otherReports.last!.loss, reports.last!.loss, accuracy: 1e-3 * max(1, reports.last!.loss), name)
            XCTAssertLessThan(relativeError(other.parameters.flatMap { $0.flatMap { $0 } }, trained.parameters.flatMap { $0.flatMap { $0 } }), 1e-3, name)
        }
        // Saved and loaded: the same graph, names, parameters and state; predictions equal.
        let loaded = try Sequential.load(try trained.safetensors(), path: "graph.safetensors")
        XCTAssertEqual(loaded.layerNames, trained.layerNames)
        XCTAssertEqual(loaded.layerInputs, trained.layerInputs)
        XCTAssertEqual(loaded.parameters, trained.parameters)
        XCTAssertEqual(loaded.training, trained.training)
        XCTAssertEqual(try loaded.predict(x, backend: CPUBackend()), try trained.predict(x, backend: CPUBackend()))
        XCTAssertNotNil(try trained.safetensors().tensors["stem_bn.moving_mean"])
        XCTAssertNil(try trained.safetensors().tensors["optimizer.stem_bn.moving_mean.m"])
    }

    /// A graph's checkpoint resumes exactly (CPU reference): two epochs, saved, loaded and two more
    /// give the bits of four straight epochs, moving statistics and Adam's state included.
    func testResumingAGraphMatchesStraightTraining() throws {
        let (x, y) = TrainingTests.blobs(count: 24, seed: 99)
        let backend = CPUBackend()
        var straight = try Self.residualModel(seed: 9, inputShape: [12, 12, 1], classes: 4)
        try straight.compile(optimizer: .adam, seed: 2)
        try straight.fit(x: x, y: y, epochs: 4, batchSize: 8, backend: backend)
        var first = try Self.residualModel(seed: 9, inputShape: [12, 12, 1], classes: 4)
        try first.compile(optimizer: .adam, seed: 2)
        try first.fit(x: x, y: y, epochs: 2, batchSize: 8, backend: backend)
        var resumed = try Sequential.load(try first.safetensors(), path: "half.safetensors")
        try resumed.fit(x: x, y: y, epochs: 4, batchSize: 8, backend: backend)
        XCTAssertEqual(resumed.parameters.map { $0.map { $0.map(\.bitPattern) } }, straight.parameters.map { $0.map { $0.map(\.bitPattern) } })
        XCTAssertEqual(resumed.training, straight.training)
        XCTAssertNotEqual(first.parameters[1][2], straight.parameters[1][2], "epochs 3 and 4 move the moving mean")
    }

    /// One training step on `backend` (training-mode forward pass, mean cross-entropy over the
    /// batch, backward pass): every parameter's gradient (each poisoned with NaN first) and the loss.
    static func oneStep(_ model: Sequential, x: [Float], labels: [Float], backend: any Backend,
                        inputGradient: Bool = false) throws -> (gradients: [[Tensor]], loss: Double) {
        let batch = labels.count, classes = model.outputCount
        let network = try Network(model: model, backend: backend)
        let stack = try network.stack(batchSize: batch)
        try backend.write(x, into: stack.input)
        try backend.write(labels, into: stack.labels)
        let activations = try network.forward(stack, training: true, seed: 1)
        let logits = try activations.outputs.last!.reshaped(try Shape([batch, classes]))
        try backend.softmaxCrossEntropy(logits: logits, labels: stack.labels, losses: stack.losses, gradLogits: stack.gradLogits,
                                        scale: 1 / Float(batch))
        let gradients = try model.parameterShapes.map { try $0.map { try backend.makeTensor(shape: $0) } }
        for tensor in gradients.joined() { try backend.write([Float](repeating: .nan, count: tensor.elementCount), into: tensor) }
        try network.backward(stack, activations: activations, gradient: stack.gradLogits, gradients: gradients, seed: 1,
                             inputGradient: inputGradient)
        return (gradients, try backend.download(stack.losses).reduce(0.0) { $0 + Double($1) } / Double(batch))
    }

    /// One training step's parameter gradients through the graph against finite differences of
    /// the mean cross-entropy over a batch (batch statistics in the forward pass).
    func testParameterGradientsOfTheGraphMatchFiniteDifferences() throws {
        let backend = TestBackends.reference
        let model = try Self.residualModel(seed: 7, inputShape: [5, 4, 1], classes: 3, smooth: true)
        var random = SeededGenerator(seed: 96)
        let batch = 3
        let x = random.floats(batch * model.sampleSize, in: -1...1), labels: [Float] = [0, 2, 1]
        let (gradients, _) = try Self.oneStep(model, x: x, labels: labels, backend: backend)
        func loss(_ parameters: [[[Float]]]) throws -> Double {
            var copy = model
            try copy.setParameters(parameters)
            let net = try Network(model: copy, backend: backend)
            let s = try net.stack(batchSize: batch)
            try backend.write(x, into: s.input)
            try backend.write(labels, into: s.labels)
            let out = try net.forward(s, training: true, seed: 1).outputs.last!.reshaped(try Shape([batch, 3]))
            try backend.softmaxCrossEntropy(logits: out, labels: s.labels, losses: s.losses, gradLogits: nil, scale: 1)
            return try backend.download(s.losses).reduce(0.0) { $0 + Double($1) } / Double(batch)
        }
        // Every trainable tensor of the stem conv, the BN, the branch conv, the side conv and the
        // head (not the stem's bias: batch normalisation cancels it, its gradient is zero).
        for (layer, index) in [(0, 0), (1, 0), (1, 1), (3, 0), (5, 0), (5, 1), (8, 0)] {
            let analytic = try backend.download(gradients[layer][index])
            var numeric = [Float](repeating: 0, count: analytic.count)
            for j in stride(from: 0, to: analytic.count, by: max(1, analytic.count / 12)) {
                var plus = model.parameters, minus = model.parameters
                plus[layer][index][j] += 1e-2
                minus[layer][index][j] -= 1e-2
                numeric[j] = Float((try loss(plus) - (try loss(minus))) / 2e-2)
            }
            let checked = stride(from: 0, to: analytic.count, by: max(1, analytic.count / 12)).map { $0 }
            XCTAssertLessThan(relativeError(checked.map { analytic[$0] }, checked.map { numeric[$0] }), 5e-3,
                              "\(model.parameterName(layer: layer, index: index))")
        }
    }

    /// A first Conv2D + relu + MaxPool2D takes its parameter gradients straight from the
    /// pooling's gradient (no input gradient wanted): on every backend they equal those of the
    /// step-by-step backward pass (taken when the input's gradient is asked for too), and on the
    /// reference they match finite differences of the loss.
    func testFirstConvBlockGradientsEqualTheStepByStepOnes() throws {
        let model = try Sequential(inputShape: [10, 10, 2], seed: 12, layers: [
            try Conv2D(filters: 16, kernelSize: (3, 3), activation: .relu), try MaxPool2D(2), Flatten(),
            try Dense(units: 3, activation: .softmax),
        ])
        var random = SeededGenerator(seed: 13)
        let batch = 4
        let x = random.floats(batch * model.sampleSize, in: -1...1), labels: [Float] = [0, 2, 1, 2]
        func gradients(_ backend: any Backend, _ parameters: [[[Float]]]? = nil, inputGradient: Bool) throws -> ([[Float]], Double) {
            var copy = model
            if let parameters { try copy.setParameters(parameters) }
            let (gradients, loss) = try Self.oneStep(copy, x: x, labels: labels, backend: backend, inputGradient: inputGradient)
            return (try gradients[0].map { try backend.download($0) }, loss)
        }
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let (fused, _) = try gradients(backend, inputGradient: false)
            let (stepwise, _) = try gradients(backend, inputGradient: true)
            for (index, name) in ["kernel", "bias"].enumerated() {
                XCTAssertLessThan(relativeError(fused[index], stepwise[index]), 1e-5, "\(backend.name): conv \(name)")
            }
        }
        let (analytic, _) = try gradients(TestBackends.reference, inputGradient: false)
        for index in 0..<2 {
            let checked = Array(stride(from: 0, to: analytic[index].count, by: max(1, analytic[index].count / 16)))
            let numeric = try checked.map { j -> Float in
                var plus = model.parameters, minus = model.parameters
                plus[0][index][j] += 1e-3
                minus[0][index][j] -= 1e-3
                return Float((try gradients(TestBackends.reference, plus, inputGradient: false).1
                              - (try gradients(TestBackends.reference, minus, inputGradient: false).1)) / 2e-3)
            }
            XCTAssertLessThan(relativeError(checked.map { analytic[index][$0] }, numeric), 1e-2, "conv parameter \(index)")
        }
    }

    /// DeepSHAP on the graph: values sum to f(x) - E f(background) on every backend, and the
    /// backends agree.
    func testDeepShapEfficiencyOnTheGraph() throws {
        var model = try Self.residualModel()
        var parameters = model.parameters
        parameters[1][2] = [0.3, -0.2, 0.1, 0.05]
        parameters[1][3] = [1.5, 0.7, 2.0, 0.9]
        try model.setParameters(parameters)
        var random = SeededGenerator(seed: 97)
        let input = random.floats(model.sampleSize, in: 0...1)
        let backgrounds = (0..<5).map { _ in random.floats(model.sampleSize, in: 0...1) }
        let maps = try deepShapOnEveryBackend(model, input: input, backgrounds: backgrounds, grid: 3, width: 9, height: 7, target: 2).map(\.pixelMap)
        for other in maps.dropFirst() { XCTAssertLessThan(relativeError(other.map(Float.init), maps[0].map(Float.init)), 1e-3) }
    }

    /// In inference a Conv2D read only by a `valid` max pooling runs fused with it (the pooling's
    /// input is then the pooled output itself), and the fused outputs equal the unfused ones; a
    /// convolution that feeds two layers, or a `same` pooling, runs unfused.
    func testConvPoolFusionWhereItAppliesOnly() throws {
        let chain = try Sequential(inputShape: [9, 9, 1], seed: 8, layers: [
            try Conv2D(filters: 16, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(), try Dense(units: 3, activation: .softmax)])
        let samePool = try Sequential(inputShape: [9, 9, 1], seed: 8, layers: [
            try Conv2D(filters: 16, kernelSize: 3, activation: .relu), try MaxPool2D(2, padding: .same), Flatten(), try Dense(units: 3)])
        let fanOut = try Sequential(inputShape: [9, 9, 1], seed: 8, nodes: [
            .init("conv", try Conv2D(filters: 4, kernelSize: 3, padding: .same, activation: .relu), from: ["input"]),
            .init("pool", try MaxPool2D(poolSize: (3, 3), strides: (1, 1), padding: .same), from: ["conv"]),
            .init("add", Add(), from: ["conv", "pool"]), .init("flat", Flatten(), from: ["add"]), .init("out", try Dense(units: 2), from: ["flat"])])
        var random = SeededGenerator(seed: 98)
        for (model, fuses) in [(chain, true), (samePool, false), (fanOut, false)] {
            for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
                let network = try Network(model: model, backend: backend)
                let stack = try network.stack(batchSize: 3)
                try backend.write(random.floats(3 * 81), into: stack.input)
                let fused = try network.forward(stack, training: false, seed: 0)
                // Fused, the pooling's recorded input is its own output: the convolution's was never made.
                XCTAssertEqual(fused.inputs[1][0].storage === fused.outputs[1].storage, fuses, "\(model.layerNames) on \(backend.name)")
                let fusedOutput = try backend.download(fused.outputs.last!)
                let plain = try backend.download(try network.forward(stack, training: false, seed: 0, fuse: false).outputs.last!)
                XCTAssertLessThan(relativeError(fusedOutput, plain), 1e-5)
            }
        }
    }
}
