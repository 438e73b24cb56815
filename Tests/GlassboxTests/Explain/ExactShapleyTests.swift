import Glassbox
import GlassboxTestSupport
import XCTest

final class ExactShapleyTests: XCTestCase {
    /// Against the permutation definition, computed by brute force over all 6! orders with the
    /// model evaluated image by image through `predict` (no perturbation engine).
    func testMatchesBruteForceOnASmallCNN() throws {
        let model = try ExplainFixtures.smallCNN()
        let input = ExplainFixtures.image()
        // 6 segments: a 3x2 arrangement of blocks via a user map.
        let ids = (0..<64).map { p in min((p / 8) / 3, 2) * 2 + min((p % 8) / 4, 1) }
        let segmentation = try Segmentation.map(ids, width: 8, height: 8)
        XCTAssertEqual(segmentation.count, 6)
        let backend = CPUBackend()
        let target = 1
        var cache: [UInt64: Double] = [:]
        let expected = try ExplainFixtures.bruteForceShapley(players: 6) { mask in
            if let value = cache[mask] { return value }
            let masked = input.enumerated().map { p, x in (mask >> UInt64(segmentation.segmentOfPixel[p])) & 1 == 1 ? x : 0 }
            let value = Double(try model.predict(masked, backend: backend)[target])
            cache[mask] = value
            return value
        }
        let explanation = try ExactShapley().explain(try ExplainFixtures.request(model, backend: backend, input: input,
                                                                                 segmentation: segmentation, target: target))
        XCTAssertLessThan(relativeError(explanation.values.map(Float.init), expected.map(Float.init)), 1e-6)
        XCTAssertEqual(abs(explanation.efficiencyGap), 0, accuracy: 1e-5)
        XCTAssertEqual(explanation.samples, 64)
        XCTAssertEqual(explanation.pixelMap.count, 64)
    }

    func testLinearModelClosedForm() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let explanation = try ExactShapley().explain(try ExplainFixtures.request(model, backend: backend, input: input,
                                                                                     segmentation: segmentation, target: 2))
            let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 2)
            for (value, truth) in zip(explanation.values, expected) { XCTAssertEqual(value, truth, accuracy: 1e-5, backend.name) }
            XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-5)
        }
    }

    func testTooManySegmentsSuggestsOtherMethods() throws {
        let model = try ExplainFixtures.linearModel(side: 10)
        let request = try ExplainFixtures.request(model, backend: CPUBackend(), input: ExplainFixtures.image(side: 10),
                                                  segmentation: try Segmentation.grid(5, width: 10, height: 10), target: 0)
        XCTAssertThrowsError(try ExactShapley().explain(request)) { error in
            XCTAssertTrue("\(error)".contains("kernel") && "\(error)".contains("permutation"), "\(error)")
        }
    }

    func testBadRequestsAreRejected() throws {
        let model = try ExplainFixtures.linearModel()
        let session = try InferenceSession(model: model, backend: CPUBackend())
        let input = ExplainFixtures.image()
        let zeros = [Float](repeating: 0, count: 64)
        XCTAssertThrowsError(try ExplanationRequest(session: session, input: input, baseline: zeros,
                                                    segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 3)) {
            XCTAssertTrue("\($0)".contains("target class 3"), "\($0)")
        }
        XCTAssertThrowsError(try ExplanationRequest(session: session, input: input, baseline: zeros,
                                                    segmentation: try Segmentation.grid(2, width: 9, height: 8), target: 0)) {
            XCTAssertTrue("\($0)".contains("9x8"), "\($0)")
        }
        XCTAssertThrowsError(try ExplanationRequest(session: session, input: Array(input.prefix(63)), baseline: zeros,
                                                    segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 0))
        XCTAssertThrowsError(try Segmentation.grid(9, width: 8, height: 8))
    }

    /// The engine's device-side mask expansion against the reference, on odd sizes and >32 segments.
    func testExpandMasksAgreesWithReference() throws {
        var random = SeededGenerator(seed: 30)
        let ids = (0..<(7 * 5)).map { _ in Float(Int.random(in: 0..<40, using: &random)) }
        let masks = (0..<33).map { _ in random.next() }
        try assertBackendsAgree("expand_masks", [
            .input("x", [7, 5, 2], random.floats(70)), .input("b", [7, 5, 2], random.floats(70)),
            .input("s", [35], ids), .output("y", [33, 7, 5, 2]),
        ], tolerance: 0) { backend, t in
            try backend.expandMasks(masks, input: t["x"]!, baseline: t["b"]!, segments: t["s"]!, into: t["y"]!)
        }
        // Many baseline rows (a background): mask-major, one output row per mask and reference.
        try assertBackendsAgree("expand_masks references", [
            .input("x", [7, 5, 2], random.floats(70)), .input("b", [3, 7, 5, 2], random.floats(210)),
            .input("s", [35], ids), .output("y", [33 * 3, 7, 5, 2]),
        ], tolerance: 0) { backend, t in
            try backend.expandMasks(masks, input: t["x"]!, baseline: t["b"]!, segments: t["s"]!, into: t["y"]!)
        }
        // The reference itself, element by element, for one mask and reference.
        let cpu = CPUBackend()
        let x = random.floats(6), b = random.floats(12)
        let out = try cpu.makeTensor(shape: try Shape([2 * 2, 6]))
        try cpu.expandMasks([0b01, 0b10], input: try cpu.upload(x, shape: try Shape([6])), baseline: try cpu.upload(b, shape: try Shape([2, 6])),
                            segments: try cpu.upload([0, 0, 1, 1, 1, 0], shape: try Shape([6])), into: out)
        let y = try cpu.download(out)
        XCTAssertEqual(Array(y[6..<12]), [x[0], x[1], b[8], b[9], b[10], x[5]])   // mask 0b01, reference 1
        XCTAssertEqual(Array(y[12..<18]), [b[0], b[1], x[2], x[3], x[4], b[5]])   // mask 0b10, reference 0
    }
}
