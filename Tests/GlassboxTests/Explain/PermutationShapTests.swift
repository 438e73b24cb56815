import Glassbox
import GlassboxTestSupport
import XCTest

final class PermutationShapTests: XCTestCase {
    /// Every marginal of a linear model is the segment's own term, so any number of orders (even
    /// one) gives the closed form; 64 one-pixel segments exercise the full 64-bit masks.
    func testLinearModelClosedForm() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            for (grid, samples) in [(3, nil), (4, 1), (8, nil)] as [(Int, Int?)] {
                let segmentation = try Segmentation.grid(grid, width: 8, height: 8)
                let explanation = try PermutationShap().explain(try ExplainFixtures.request(model, backend: backend, input: input,
                                                                                            segmentation: segmentation, target: 2, samples: samples))
                let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 2)
                for (value, truth) in zip(explanation.values, expected) {
                    XCTAssertEqual(value, truth, accuracy: 1e-5, "\(backend.name) grid:\(grid)")
                }
                XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-5)
                XCTAssertEqual(explanation.method, "permutation")
            }
        }
    }

    /// Each walk telescopes, so efficiency holds to rounding for one order as for many; the
    /// evaluations are 2 + 2 P (M - 1).
    func testEfficiencyForEveryNumberOfOrders() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        for (samples, permutations) in [(1, 1), (40, 2), (3202, 200)] {
            let explanation = try PermutationShap().explain(try ExplainFixtures.request(model, backend: TestBackends.reference,
                input: ExplainFixtures.image(), segmentation: segmentation, target: 1, samples: samples))
            XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-9)
            XCTAssertEqual(explanation.metrics["permutations"], Double(permutations))
            XCTAssertEqual(explanation.samples, 2 + 2 * permutations * 8)
            XCTAssertEqual(explanation.standardErrors == nil, permutations == 1)
        }
    }

    /// 200 orders land closer to the exact values than 5, and their standard errors are smaller.
    func testConvergesToExactShapley() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        var request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: segmentation, target: 1)
        let exact = try ExactShapley().explain(request)
        var errors: [Double] = [], meanStandardErrors: [Double] = []
        for permutations in [5, 200] {
            request.samples = 2 + 2 * permutations * 8
            let explanation = try PermutationShap().explain(request)
            let standardErrors = try XCTUnwrap(explanation.standardErrors)
            XCTAssertTrue(standardErrors.allSatisfy { $0 > 0 }, "\(standardErrors)")
            errors.append(attributionError(explanation.values, exact.values))
            if permutations == 200 {
                // The standard errors mean what they say: most values lie within 3 of them.
                let within = zip(zip(explanation.values, exact.values), standardErrors).filter { abs($0.0 - $0.1) <= 3 * $1 }.count
                XCTAssertGreaterThanOrEqual(within, 8, "values within 3 standard errors of exact")
            }
            meanStandardErrors.append(standardErrors.reduce(0, +) / Double(standardErrors.count))
        }
        print("permutation, 9 segments: relative error vs exact \(errors[0]) (5 orders), \(errors[1]) (200 orders); "
              + "mean standard error \(meanStandardErrors[0]), \(meanStandardErrors[1])")
        XCTAssertLessThan(errors[1], errors[0])
        XCTAssertLessThan(meanStandardErrors[1], meanStandardErrors[0])
    }

    func testSeedsRepeatAndDiffer() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        func values(seed: UInt64) throws -> [Double] {
            try PermutationShap().explain(try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                                      segmentation: segmentation, target: 1, samples: 152, seed: seed)).values
        }
        XCTAssertEqual(try values(seed: 7), try values(seed: 7))
        XCTAssertNotEqual(try values(seed: 7), try values(seed: 8))
    }

    func testOpenCLAgreesWithReference() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        func explain(_ backend: any Backend) throws -> Explanation {
            try PermutationShap().explain(try ExplainFixtures.request(model, backend: backend, input: ExplainFixtures.image(),
                                                                      segmentation: segmentation, target: 0, samples: 602, seed: 5))
        }
        let reference = try explain(TestBackends.reference)
        for backend in try TestBackends.openCLBackends() {
            let explanation = try explain(backend)
            XCTAssertLessThan(attributionError(explanation.values, reference.values), 1e-4, "\(backend.name) [\(backend.variant)]")
            XCTAssertEqual(explanation.samples, reference.samples)
        }
    }

    func testSingleSegment() throws {
        let explanation = try PermutationShap().explain(try ExplainFixtures.request(try ExplainFixtures.smallCNN(), backend: TestBackends.reference,
            input: ExplainFixtures.image(), segmentation: try Segmentation.grid(1, width: 8, height: 8), target: 1))
        XCTAssertEqual(explanation.values.count, 1)
        XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-15)
        XCTAssertEqual(explanation.samples, 2)
    }
}
