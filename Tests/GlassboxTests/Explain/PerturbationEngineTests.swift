import Glassbox
import GlassboxTestSupport
import XCTest

final class PerturbationEngineTests: XCTestCase {
    /// Two CNNs on 8x8 images: the small one of the explainer tests, and one shaped like the
    /// reference CNN (Conv2D, MaxPool2D, Flatten, Dense of 16 units), so that whatever shortcut
    /// the engine takes for that shape is held to the same results.
    static func models() throws -> [(name: String, model: Sequential)] {
        [("small CNN", try ExplainFixtures.smallCNN()),
         ("reference-shaped CNN", try Sequential(inputShape: [8, 8, 1], seed: 62, layers: [
             try Conv2D(filters: 4, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(),
             try Dense(units: 16, activation: .relu), try Dense(units: 3, activation: .softmax),
         ])),
         // A graph (no segment table): the full forward pass through branches, Add, Concatenate,
         // batch normalisation and `same` padding.
         ("residual graph", try GraphTests.residualModel(seed: 63, inputShape: [8, 8, 1], classes: 3))]
    }

    /// `model` (by default the small CNN) on a 3x3 grid (9 segments), its input and a random
    /// baseline.
    func engine(backend: any Backend, model: Sequential? = nil, chunkSize: Int = 2048) throws -> PerturbationEngine {
        var random = SeededGenerator(seed: 60)
        return try PerturbationEngine(session: try InferenceSession(model: try model ?? ExplainFixtures.smallCNN(), backend: backend),
                                      input: ExplainFixtures.image(), baseline: random.floats(64, in: 0...1),
                                      segmentation: try Segmentation.grid(3, width: 8, height: 8), chunkSize: chunkSize)
    }

    /// 100 random coalitions of the 9 segments, the empty and the full one among them.
    func randomMasks() -> [UInt64] {
        var random = SeededGenerator(seed: 61)
        return [0, 0x1FF] + (0..<98).map { _ in random.next() & 0x1FF }
    }

    /// Masks expanded here, pixel by pixel, and run through `predict` one image at a time.
    func expected(_ engine: PerturbationEngine, _ masks: [UInt64]) throws -> [[Double]] {
        let classes = engine.session.model.outputCount
        var result = [[Double]](repeating: [], count: classes)
        for mask in masks {
            let image = engine.input.indices.map { p in
                (mask >> UInt64(engine.segmentation.segmentOfPixel[p])) & 1 == 1 ? engine.input[p] : engine.baseline[p]
            }
            let outputs = try engine.session.model.predict(image, backend: TestBackends.reference)
            for c in 0..<classes { result[c].append(Double(outputs[c])) }
        }
        return result
    }

    /// How the masks are cut into chunks (one per mask, odd chunks with a padded last one, exact
    /// multiples, one chunk for all) changes nothing: the reference computes each sample alone,
    /// so the outputs are identical, and equal to the masks expanded by hand.
    func testChunkSizeDoesNotChangeTheOutputs() throws {
        let masks = randomMasks()
        for (name, model) in try Self.models() {
            let results = try [1, 7, 64, 2048].map { chunkSize in
                try engine(backend: TestBackends.reference, model: model, chunkSize: chunkSize).evaluate(masks, classes: [0, 1, 2])
            }
            for (chunkSize, result) in zip([7, 64, 2048], results.dropFirst()) {
                XCTAssertEqual(result, results[0], "\(name), chunk size \(chunkSize)")
            }
            let byHand = try expected(try engine(backend: TestBackends.reference, model: model), masks)
            for c in 0..<3 {
                XCTAssertLessThan(relativeError(results[0][c].map(Float.init), byHand[c].map(Float.init)), 1e-6, "\(name), class \(c)")
            }
        }
    }

    /// The device-side expansion and forward pass against the reference, with a chunk size that
    /// leaves a padded last chunk. Tolerance 1e-5: float sums in another order.
    func testOpenCLAgreesWithTheReference() throws {
        let masks = randomMasks()
        let backends = try TestBackends.openCLBackends()
        for (name, model) in try Self.models() {
            let reference = try engine(backend: TestBackends.reference, model: model).evaluate(masks, classes: [0, 1, 2])
            for backend in backends {
                for chunkSize in [7, 2048] {
                    let result = try engine(backend: backend, model: model, chunkSize: chunkSize).evaluate(masks, classes: [0, 1, 2])
                    for c in 0..<3 {
                        let error = relativeError(result[c].map(Float.init), reference[c].map(Float.init))
                        XCTAssertLessThan(error, 1e-5, "\(name) on \(backend.name) [\(backend.variant)], chunk size \(chunkSize), class \(c)")
                    }
                }
            }
        }
    }

    /// 64 segments use every bit of the mask: the full mask is all ones and gives the model's
    /// prediction for the input, the empty one its prediction for the baseline, and bit 63 alone
    /// shows only the last pixel (a linear model with a zero baseline: bias + W[63, t] x[63]).
    func testSixtyFourSegmentsUseEveryBit() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let engine = try PerturbationEngine(session: try InferenceSession(model: model, backend: backend), input: input,
                                                baseline: [Float](repeating: 0, count: 64),
                                                segmentation: try Segmentation.grid(8, width: 8, height: 8))
            XCTAssertEqual(engine.segmentation.count, 64)
            XCTAssertEqual(engine.fullMask, UInt64.max)
            let outputs = try engine.evaluate([engine.fullMask, 0, 1 << 63, 1], classes: [0, 1, 2])
            let prediction = try model.predict(input, backend: TestBackends.reference)
            let (kernel, bias) = (model.parameters[1][0], model.parameters[1][1])
            for t in 0..<3 {
                XCTAssertEqual(outputs[t][0], Double(prediction[t]), accuracy: 1e-5, backend.name)
                XCTAssertEqual(outputs[t][1], Double(bias[t]), accuracy: 1e-6, backend.name)
                XCTAssertEqual(outputs[t][2], Double(bias[t] + kernel[63 * 3 + t] * input[63]), accuracy: 1e-6, backend.name)
                XCTAssertEqual(outputs[t][3], Double(bias[t] + kernel[t] * input[0]), accuracy: 1e-6, backend.name)
            }
        }
        XCTAssertEqual(try engine(backend: TestBackends.reference).fullMask, 0x1FF)
    }

    func testMoreThanSixtyFourSegmentsThrow() throws {
        let model = try ExplainFixtures.linearModel(side: 9)
        XCTAssertThrowsError(try PerturbationEngine(session: try InferenceSession(model: model, backend: TestBackends.reference),
                                                    input: ExplainFixtures.image(side: 9), baseline: [Float](repeating: 0, count: 81),
                                                    segmentation: try Segmentation.grid(9, width: 9, height: 9))) { error in
            XCTAssertTrue("\(error)".contains("81 segments") && "\(error)".contains("at most 64"), "\(error)")
        }
    }

    func testBadSizesAndChunkSizeThrow() throws {
        let session = try InferenceSession(model: try ExplainFixtures.linearModel(), backend: TestBackends.reference)
        let input = ExplainFixtures.image(), zeros = [Float](repeating: 0, count: 64)
        let grid = try Segmentation.grid(2, width: 8, height: 8)
        XCTAssertThrowsError(try PerturbationEngine(session: session, input: Array(input.prefix(60)), baseline: zeros, segmentation: grid)) {
            XCTAssertTrue("\($0)".contains("60 values"), "\($0)")
        }
        XCTAssertThrowsError(try PerturbationEngine(session: session, input: input, baseline: Array(zeros.prefix(63)), segmentation: grid)) {
            XCTAssertTrue("\($0)".contains("the baseline has 63 values"), "\($0)")
        }
        XCTAssertThrowsError(try PerturbationEngine(session: session, input: input, baseline: zeros,
                                                    segmentation: try Segmentation.grid(2, width: 16, height: 4))) {
            XCTAssertTrue("\($0)".contains("16x4"), "\($0)")
        }
        XCTAssertThrowsError(try PerturbationEngine(session: session, input: input, baseline: zeros, segmentation: grid, chunkSize: 0))
    }

    func testEvaluationsCountForwardPasses() throws {
        for (name, model) in try Self.models() {
            let engine = try engine(backend: TestBackends.reference, model: model, chunkSize: 7)
            XCTAssertEqual(engine.evaluations, 0, name)
            _ = try engine.evaluate(Array(randomMasks().prefix(10)), target: 1)
            XCTAssertEqual(engine.evaluations, 10, name)
            _ = try engine.evaluate(Array(randomMasks().prefix(5)), classes: [0, 2])
            XCTAssertEqual(engine.evaluations, 15, "\(name): one pass per mask, however many classes are read")
            XCTAssertEqual(try engine.evaluate([], target: 0), [], name)
            XCTAssertEqual(engine.evaluations, 15, name)
        }
    }

    func testClassesOutOfRangeThrow() throws {
        let engine = try engine(backend: TestBackends.reference)
        for bad in [3, -1] {
            XCTAssertThrowsError(try engine.evaluate([0, 1], target: bad)) { error in
                XCTAssertTrue("\(error)".contains("target class \(bad) is not in 0..<3"), "\(error)")
            }
        }
        XCTAssertThrowsError(try engine.evaluate([0, 1], classes: [0, 5]))
        XCTAssertEqual(engine.evaluations, 0, "nothing runs when a class is bad")
    }

    /// Several classes read from one sweep equal one sweep per class, column by column.
    func testSeveralClassesMatchOneSweepPerClass() throws {
        let masks = randomMasks()
        for (name, model) in try Self.models() {
            let engine = try engine(backend: TestBackends.reference, model: model, chunkSize: 64)
            let both = try engine.evaluate(masks, classes: [0, 2])
            XCTAssertEqual(both.count, 2, name)
            XCTAssertEqual(both[0], try engine.evaluate(masks, target: 0), name)
            XCTAssertEqual(both[1], try engine.evaluate(masks, target: 2), name)
            XCTAssertEqual(try engine.evaluate(masks, classes: [2, 2, 0]), [both[1], both[1], both[0]], name)
        }
    }

    /// Each example architecture (examples/*.json, built from Keras's JSON with seeded weights):
    /// the perturbation engine on OpenCL agrees with the CPU reference on 64 random coalitions of
    /// a 4x4 grid, through the segment table where it applies (the reference CNN) and the full
    /// forward pass elsewhere (the seed's functional model, a (28, 10) output; the residual graph).
    func testEveryExampleArchitectureAgreesWithTheReference() throws {
        let backends = try TestBackends.openCLBackends()
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples")
        var random = SeededGenerator(seed: 64)
        let input = random.floats(784, in: 0...1), baseline = random.floats(784, in: 0...1)
        let masks = (0..<64).map { _ in random.next() & 0xFFFF }
        for name in ["reference-cnn", "seed-functional", "residual-cnn"] {
            let model = try KerasArchitecture.model(from: examples.appendingPathComponent("\(name).json"), seed: 3)
            let classes = [0, model.outputCount / 2, model.outputCount - 1]
            func run(_ backend: any Backend) throws -> [[Double]] {
                try PerturbationEngine(session: try InferenceSession(model: model, backend: backend), input: input, baseline: baseline,
                                       segmentation: try Segmentation.grid(4, width: 28, height: 28)).evaluate(masks, classes: classes)
            }
            let reference = try run(TestBackends.reference)
            for backend in backends {
                let result = try run(backend)
                for c in classes.indices {
                    XCTAssertLessThan(relativeError(result[c].map(Float.init), reference[c].map(Float.init)), 1e-5, "\(name) on \(backend.name), class \(classes[c])")
                }
            }
        }
    }

    /// The segment-table path with a multi-axis output after its Dense layer (Reshape to (4, 8),
    /// Dense(3, softmax) on the last axis): softmax over each row of 3, as the full forward pass
    /// computes it, on every backend.
    func testSegmentTablePathAppliesTheHeadsSoftmaxPerRow() throws {
        let model = try Sequential(inputShape: [8, 8, 1], seed: 65, layers: [
            try Conv2D(filters: 4, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(),
            try Dense(units: 32, activation: .relu), try Reshape([4, 8]), try Dense(units: 3, activation: .softmax),
        ])
        XCTAssertEqual(model.outputShapes.last, [4, 3])
        let masks = randomMasks()
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let session = try InferenceSession(model: model, backend: backend)
            var random = SeededGenerator(seed: 60)
            let baseline = random.floats(64, in: 0...1)
            func run(table: Bool) throws -> [[Double]] {
                try PerturbationEngine(session: session, input: ExplainFixtures.image(), baseline: baseline,
                                       segmentation: try Segmentation.grid(3, width: 8, height: 8), allowsSegmentTable: table)
                    .evaluate(masks, classes: [0, 4, 11])
            }
            let withTable = try run(table: true), without = try run(table: false)
            for c in 0..<3 {
                XCTAssertLessThan(relativeError(withTable[c].map(Float.init), without[c].map(Float.init)), 1e-5, "\(backend.name), output \(c)")
            }
        }
    }
}
