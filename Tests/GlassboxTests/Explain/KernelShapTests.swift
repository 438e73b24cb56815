@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// `|values - reference| / |reference|` in Double (Euclidean norms): attributions compared beyond
/// Float precision. Shared by the Kernel, Permutation and Partition SHAP tests.
func attributionError(_ values: [Double], _ reference: [Double]) -> Double {
    precondition(values.count == reference.count, "\(values.count) values against \(reference.count)")
    let difference = zip(values, reference).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    let norm = reference.reduce(0.0) { $0 + $1 * $1 }
    return norm == 0 ? difference.squareRoot() : (difference / norm).squareRoot()
}

final class KernelShapTests: XCTestCase {
    /// For a linear model the regression fits exactly, so even a sampled design gives the closed
    /// form; 64 one-pixel segments exercise the full 64-bit masks.
    func testLinearModelClosedForm() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            for (grid, samples) in [(3, nil), (4, 100), (8, nil)] as [(Int, Int?)] {
                let segmentation = try Segmentation.grid(grid, width: 8, height: 8)
                let explanation = try KernelShap().explain(try ExplainFixtures.request(model, backend: backend, input: input,
                                                                                       segmentation: segmentation, target: 2, samples: samples))
                let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 2)
                for (value, truth) in zip(explanation.values, expected) {
                    XCTAssertEqual(value, truth, accuracy: 1e-5, "\(backend.name) grid:\(grid)")
                }
                XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-5)
                XCTAssertEqual(explanation.method, "kernel")
            }
        }
    }

    /// With every coalition (2^9 - 2 = 510, also what the default budget covers) the regression's
    /// solution is the Shapley values (Lundberg & Lee 2017, Theorem 2).
    func testFullBudgetEqualsExactShapley() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        let request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: segmentation, target: 1)
        let exact = try ExactShapley().explain(request)
        for samples in [510, nil] as [Int?] {
            var sampled = request
            sampled.samples = samples
            let explanation = try KernelShap().explain(sampled)
            let error = attributionError(explanation.values, exact.values)
            print("kernel, 9 segments, samples \(samples.map(String.init) ?? "default"): relative error vs exact \(error)")
            XCTAssertLessThan(error, 1e-6)
            XCTAssertEqual(explanation.samples, 512)
            XCTAssertEqual(explanation.metrics["enumerated_sizes"], 8)
            XCTAssertEqual(explanation.baseValue, exact.baseValue)
            XCTAssertEqual(explanation.prediction, exact.prediction)
            XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-12)
        }
    }

    /// 16 segments, 600 of the 65,534 coalitions: sizes 1 and 15 enumerated, the rest sampled.
    /// Measured (seeds 0-2): relative error 0.04 at 600 samples, 0.02 at the default 2,080, 0.008
    /// at 8,000 (about 1 / sqrt(samples)); bound 0.2.
    func testSixteenSegmentsWithSixHundredSamples() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        var request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: segmentation, target: 1)
        let exact = try ExactShapley().explain(request)
        request.samples = 600
        let explanation = try KernelShap().explain(request)
        let error = attributionError(explanation.values, exact.values)
        print("kernel, 16 segments, 600 samples: relative error vs exact \(error), \(explanation.samples) evaluations")
        XCTAssertLessThan(error, 0.2)
        XCTAssertLessThanOrEqual(explanation.samples, 602)
        XCTAssertEqual(explanation.metrics["enumerated_sizes"], 2)
        XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-12)
    }

    func testSeedsRepeatAndDiffer() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        func values(seed: UInt64) throws -> [Double] {
            try KernelShap().explain(try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                                 segmentation: segmentation, target: 1, samples: 200, seed: seed)).values
        }
        XCTAssertEqual(try values(seed: 7), try values(seed: 7))
        XCTAssertNotEqual(try values(seed: 7), try values(seed: 8))
    }

    /// Same seed, same coalitions: the backends differ only by their Float outputs.
    func testOpenCLAgreesWithReference() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        func explain(_ backend: any Backend) throws -> Explanation {
            try KernelShap().explain(try ExplainFixtures.request(model, backend: backend, input: ExplainFixtures.image(),
                                                                 segmentation: segmentation, target: 0, samples: 600, seed: 5))
        }
        let reference = try explain(TestBackends.reference)
        for backend in try TestBackends.openCLBackends() {
            let explanation = try explain(backend)
            XCTAssertLessThan(attributionError(explanation.values, reference.values), 1e-4, "\(backend.name) [\(backend.variant)]")
            XCTAssertEqual(explanation.samples, reference.samples)
        }
    }

    /// The design itself: distinct coalitions, never empty or full, weights summing to 1, the
    /// enumerated sizes carrying their exact kernel weights, and sampled coalitions in complementary pairs.
    func testCoalitionDesign() throws {
        var generator = SeededGenerator(seed: 3)
        let m = 16
        let full: UInt64 = (1 << 16) - 1
        let design = KernelShap.coalitions(players: m, budget: 600, using: &generator)
        XCTAssertEqual(design.masks.count, 600)
        XCTAssertEqual(Set(design.masks).count, 600)
        XCTAssertFalse(design.masks.contains(0) || design.masks.contains(full))
        XCTAssertEqual(design.weights.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(design.enumeratedSizes, 2)
        // Size 1 and 15: 32 coalitions, each with the normalised kernel weight.
        let kernel = { (s: Int) in Double(m - 1) / (KernelShap.binomial(m, s) * Double(s * (m - s))) }
        let total = (1..<m).reduce(0.0) { $0 + kernel($1) * KernelShap.binomial(m, $1) }
        for (mask, weight) in zip(design.masks.prefix(32), design.weights) {
            XCTAssertTrue([1, 15].contains(mask.nonzeroBitCount))
            XCTAssertEqual(weight, kernel(1) / total, accuracy: 1e-15)
        }
        let present = Set(design.masks)
        XCTAssertLessThanOrEqual(design.masks.filter { !present.contains(full ^ $0) }.count, 1, "sampled coalitions come in pairs")

        // Budgets covering every coalition enumerate them all, for every size of game.
        for players in 2...10 {
            let all = (1 << players) - 2
            let design = KernelShap.coalitions(players: players, budget: all, using: &generator)
            XCTAssertEqual(Set(design.masks).count, all, "\(players) players")
            XCTAssertEqual(design.enumeratedSizes, players - 1)
        }
    }

    func testSingleSegmentAndTooFewSamples() throws {
        let model = try ExplainFixtures.smallCNN()
        let input = ExplainFixtures.image()
        let one = try KernelShap().explain(try ExplainFixtures.request(model, backend: TestBackends.reference, input: input,
                                                                       segmentation: try Segmentation.grid(1, width: 8, height: 8), target: 1))
        XCTAssertEqual(one.values.count, 1)
        XCTAssertEqual(one.efficiencyGap, 0, accuracy: 1e-15)
        XCTAssertEqual(one.samples, 2)
        let request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: input,
                                                  segmentation: try Segmentation.grid(4, width: 8, height: 8), target: 1, samples: 3)
        XCTAssertThrowsError(try KernelShap().explain(request)) { error in
            XCTAssertTrue("\(error)".contains("more samples"), "\(error)")
        }
    }
}
