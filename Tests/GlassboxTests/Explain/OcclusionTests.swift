import Glassbox
import GlassboxTestSupport
import XCTest

final class OcclusionTests: XCTestCase {
    /// A 1x1 window with stride 1 occludes one pixel at a time; on a linear model with a zero
    /// baseline the drop is exactly that pixel's term `W[p, t] x[p]`, and segment sums are the
    /// closed-form contributions. Tolerance: differences of float outputs near 1 (about 1e-6).
    func testSinglePixelWindowOnALinearModel() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        let kernel = model.parameters[1][0]
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let explanation = try Occlusion(window: 1, stride: 1).explain(
                try ExplainFixtures.request(model, backend: backend, input: input, segmentation: segmentation, target: 1))
            for p in 0..<64 { XCTAssertEqual(explanation.pixelMap[p], Double(kernel[p * 3 + 1] * input[p]), accuracy: 1e-5, backend.name) }
            let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 1)
            for (value, truth) in zip(explanation.values, expected) { XCTAssertEqual(value, truth, accuracy: 1e-4) }
            XCTAssertEqual(explanation.samples, 66)
            XCTAssertEqual(explanation.metrics["windows"], 64)
            XCTAssertEqual(explanation.baseValue, Double(model.parameters[1][1][1]), accuracy: 1e-5)
        }
    }

    /// A hand-checked case: a 4x4 image, a linear model whose target weight is 1 on every pixel
    /// (so the output is the sum of the pixels), input all ones, 2x2 window, stride 1. Every
    /// window drops the output by 4; a pixel's mean over its windows is therefore 4, whatever the
    /// number of windows covering it (1 at corners, 2 on edges, 4 inside): Captum's averaging.
    /// With stride 2 on a 5x5 image the windows start at 0, 2, 4 per axis, the last cut to one
    /// column: it covers 2 pixels per row of the window, so its drop is smaller.
    func testHandCheckedWindowsAndCutOffBorder() throws {
        func summingModel(side: Int) throws -> Sequential {
            var model = try Sequential(inputShape: [side, side, 1], layers: [Flatten(), try Dense(units: 2)])
            try model.setParameters([[], [(0..<(side * side * 2)).map { $0 % 2 == 1 ? 1 : 0 }, [0, 0]]])
            return model
        }
        let four = try ExplainFixtures.request(try summingModel(side: 4), backend: TestBackends.reference,
                                               input: [Float](repeating: 1, count: 16),
                                               segmentation: try Segmentation.grid(2, width: 4, height: 4), target: 1)
        let map = try Occlusion(window: 2, stride: 1).explain(four)
        XCTAssertEqual(map.metrics["windows"], 9)
        for value in map.pixelMap { XCTAssertEqual(value, 4, accuracy: 1e-5) }
        assertClose(map.values, [16, 16, 16, 16], accuracy: 1e-4)
        XCTAssertEqual(map.prediction, 16, accuracy: 1e-5)

        let five = try ExplainFixtures.request(try summingModel(side: 5), backend: TestBackends.reference,
                                               input: [Float](repeating: 1, count: 25),
                                               segmentation: try Segmentation.grid(1, width: 5, height: 5), target: 1)
        let cut = try Occlusion(window: 2, stride: 2).explain(five)
        XCTAssertEqual(cut.metrics["windows"], 9)
        // Row 0: columns 0-1 in a full window (drop 4), columns 4 in a cut one (drop 2); the
        // corner (4, 4) only in the 1x1 remainder window (drop 1).
        XCTAssertEqual(cut.pixelMap[0], 4, accuracy: 1e-5)
        XCTAssertEqual(cut.pixelMap[4], 2, accuracy: 1e-5)
        XCTAssertEqual(cut.pixelMap[24], 1, accuracy: 1e-5)
    }

    /// The default 4x4 window with stride 2 on the small CNN, against occlusion computed here
    /// image by image through `predict`, and on every backend (tolerance: float outputs, 1e-5).
    func testDefaultWindowAgreesWithDirectComputationAndAcrossBackends() throws {
        let model = try ExplainFixtures.smallCNN()
        let input = ExplainFixtures.image()
        let baseline = [Float](repeating: 0.5, count: 64)
        let segmentation = try Segmentation.grid(2, width: 8, height: 8)
        let backend = TestBackends.reference
        let target = 2
        let full = Double(try model.predict(input, backend: backend)[target])
        var totals = [Double](repeating: 0, count: 64), counts = [Double](repeating: 0, count: 64)
        for y0 in [0, 2, 4] {
            for x0 in [0, 2, 4] {
                var image = input
                for y in y0..<(y0 + 4) { for x in x0..<(x0 + 4) { image[y * 8 + x] = 0.5 } }
                let drop = full - Double(try model.predict(image, backend: backend)[target])
                for y in y0..<(y0 + 4) { for x in x0..<(x0 + 4) { totals[y * 8 + x] += drop; counts[y * 8 + x] += 1 } }
            }
        }
        let expected = zip(totals, counts).map { $0 / $1 }
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let request = try ExplanationRequest(session: try InferenceSession(model: model, backend: backend), input: input,
                                                 baseline: baseline, segmentation: segmentation, target: target)
            let explanation = try Occlusion().explain(request)
            XCTAssertEqual(explanation.method, "occlusion")
            XCTAssertEqual(explanation.metrics["windows"], 9)
            XCTAssertLessThan(relativeError(explanation.pixelMap.map(Float.init), expected.map(Float.init)), 1e-4, backend.name)
            XCTAssertEqual(explanation.values.reduce(0, +), explanation.pixelMap.reduce(0, +), accuracy: 1e-9)
        }
    }

    /// Chunking changes nothing: one image per forward batch gives the same map.
    func testChunkSizeDoesNotChangeTheResult() throws {
        let request = try ExplainFixtures.request(try ExplainFixtures.smallCNN(), backend: TestBackends.reference,
                                                  input: ExplainFixtures.image(), segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 0)
        let whole = try Occlusion(window: 3, stride: 2).explain(request)
        let chunked = try Occlusion(window: 3, stride: 2, chunkSize: 1).explain(request)
        XCTAssertEqual(relativeError(chunked.pixelMap.map(Float.init), whole.pixelMap.map(Float.init)), 0, accuracy: 1e-6)
    }

    func testBadWindowsAreRejected() throws {
        let request = try ExplainFixtures.request(try ExplainFixtures.linearModel(), backend: TestBackends.reference,
                                                  input: ExplainFixtures.image(), segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 0)
        XCTAssertThrowsError(try Occlusion(window: 9, stride: 1).explain(request)) { XCTAssertTrue("\($0)".contains("window"), "\($0)") }
        XCTAssertThrowsError(try Occlusion(window: 2, stride: 3).explain(request)) { XCTAssertTrue("\($0)".contains("stride"), "\($0)") }
        XCTAssertThrowsError(try Occlusion(window: 0, stride: 1).explain(request))
        XCTAssertNoThrow(try Occlusion(window: 8, stride: 20).explain(request))
    }
}

private func assertClose(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
