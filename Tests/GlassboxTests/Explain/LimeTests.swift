@testable import Glassbox
import GlassboxTestSupport
import XCTest

final class LimeTests: XCTestCase {
    /// With ridge alpha 0 the local model is weighted least squares, and the linear model's output
    /// is exactly linear in the segment bits, so every coefficient is the segment's contribution
    /// `sum over its pixels of W[p, t] x[p]` and R^2 is 1, up to float rounding of the outputs
    /// (about 1e-7 relative, amplified little by a well-conditioned 9-feature design).
    func testLinearModelWithoutShrinkageIsExact() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let request = try ExplainFixtures.request(model, backend: backend, input: input, segmentation: segmentation,
                                                      target: 2, samples: 2000, seed: 5)
            let explanation = try Lime(ridgeAlpha: 0).explain(request)
            let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 2)
            for (value, truth) in zip(explanation.values, expected) { XCTAssertEqual(value, truth, accuracy: 1e-5, backend.name) }
            XCTAssertEqual(explanation.metrics["r2"]!, 1, accuracy: 1e-6)
            // The intercept is the model at all segments absent: the bias, f(baseline).
            XCTAssertEqual(explanation.metrics["intercept"]!, explanation.baseValue, accuracy: 1e-4)
            XCTAssertEqual(explanation.baseValue, Double(model.parameters[1][1][2]), accuracy: 1e-5)
            XCTAssertEqual(explanation.metrics["local_prediction"]!, explanation.prediction, accuracy: 1e-4)
            XCTAssertEqual(explanation.samples, 2001)
        }
    }

    /// lime's default alpha 1 shrinks each coefficient by about alpha / (sum of weights x bit
    /// variance): with 9 segments the kernel weight averages 0.50 over the binomial sample
    /// sizes, so 2,000 samples give 2000 x 0.50 x 0.25 = 250 and a shrinkage near 1 / 250 = 0.4%
    /// (measured: 0.41% relative error). A 1% tolerance covers that; the fit stays nearly perfect.
    func testDefaultRidgeShrinksLittleOnALinearModel() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        let request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: input, segmentation: segmentation,
                                                  target: 1, samples: 2000, seed: 6)
        let explanation = try Lime().explain(request)
        let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 1)
        let error = relativeError(explanation.values.map(Float.init), expected.map(Float.init))
        XCTAssertLessThan(error, 0.01)
        XCTAssertGreaterThan(error, 0, "alpha 1 should shrink a little")
        XCTAssertGreaterThan(explanation.metrics["r2"]!, 0.999)
        XCTAssertEqual(explanation.method, "lime")
        XCTAssertEqual(explanation.pixelMap, segmentation.pixelMap(explanation.values))
    }

    /// One sample "fits" 16 weights perfectly (R^2 1, every value 0): refused, with the least
    /// budget that can determine them.
    func testFewerSamplesThanWeightsAreRefused() throws {
        let request = try ExplainFixtures.request(try ExplainFixtures.smallCNN(), backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: try Segmentation.grid(4, width: 8, height: 8), target: 0, samples: 16)
        XCTAssertThrowsError(try Lime().explain(request)) { error in
            XCTAssertTrue("\(error)".contains("16 samples cannot determine 16 segment weights") && "\(error)".contains("at least 17"), "\(error)")
        }
        var enough = request
        enough.samples = 17
        XCTAssertNoThrow(try Lime().explain(enough))
    }

    func testSameSeedSameValuesOtherSeedOtherValues() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        func run(seed: UInt64) throws -> Explanation {
            try Lime().explain(try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                           segmentation: segmentation, target: 0, samples: 300, seed: seed))
        }
        let first = try run(seed: 1), again = try run(seed: 1), other = try run(seed: 2)
        XCTAssertEqual(first.values, again.values)
        XCTAssertEqual(first.metrics, again.metrics)
        XCTAssertNotEqual(first.values, other.values)
        XCTAssertEqual(first.samples, 301)
    }

    /// Same masks on every backend (same seed), so the coefficients differ only by the outputs'
    /// float differences (measured 1.5e-7 relative on PoCL); 1e-4 leaves room for devices that
    /// sum in another order and for the regression to amplify the differences.
    func testBackendsAgreeOnASmallCNN() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        func run(_ backend: any Backend) throws -> Explanation {
            try Lime().explain(try ExplainFixtures.request(model, backend: backend, input: ExplainFixtures.image(),
                                                           segmentation: segmentation, target: 1, samples: 500, seed: 3))
        }
        let reference = try run(TestBackends.reference)
        for backend in try TestBackends.openCLBackends() {
            let explanation = try run(backend)
            XCTAssertLessThan(relativeError(explanation.values.map(Float.init), reference.values.map(Float.init)), 1e-4, backend.name)
            XCTAssertEqual(explanation.metrics["r2"]!, reference.metrics["r2"]!, accuracy: 1e-4)
            XCTAssertEqual(explanation.baseValue, reference.baseValue, accuracy: 1e-5)
        }
    }

    /// lime's distance and kernel at hand-computed points: all ones is at distance 0 (weight 1);
    /// 4 of 9 present is at 1 - 2/3; none present is at 1, weight exp(-8).
    func testDistanceAndKernel() {
        XCTAssertEqual(Lime.cosineDistanceToAllOnes(present: 9, of: 9), 0, accuracy: 1e-15)
        XCTAssertEqual(Lime.cosineDistanceToAllOnes(present: 4, of: 9), 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(Lime.cosineDistanceToAllOnes(present: 0, of: 9), 1)
        XCTAssertEqual(Lime.kernel(distance: 0, width: 0.25), 1)
        XCTAssertEqual(Lime.kernel(distance: 1, width: 0.25), exp(-8.0), accuracy: 1e-15)
        XCTAssertEqual(Lime.kernel(distance: 1.0 / 3, width: 0.25), exp(-0.5 * 16.0 / 9), accuracy: 1e-15)
    }

    /// Ridge against a hand-solved case. Points (0, 1), (1, 3), (2, 5) with weights 1, 1, 2:
    /// weighted means x = 5/4, y = 7/2; centred sums Sxx = 1.5625 + 0.0625 + 2 x 0.5625 = 2.75 and
    /// Sxy = 2 x Sxx = 5.5. Alpha 0 gives slope 2, intercept 1, R^2 1; alpha 1 gives slope
    /// 5.5 / 3.75 and intercept 7/2 - 5/4 x slope.
    func testRidgeMatchesAHandSolvedCase() throws {
        let exact = try RidgeRegression.fit(features: [0, 1, 2], featureCount: 1, targets: [1, 3, 5], weights: [1, 1, 2], alpha: 0)
        XCTAssertEqual(exact.coefficients[0], 2, accuracy: 1e-12)
        XCTAssertEqual(exact.intercept, 1, accuracy: 1e-12)
        XCTAssertEqual(exact.r2, 1, accuracy: 1e-12)
        let ridge = try RidgeRegression.fit(features: [0, 1, 2], featureCount: 1, targets: [1, 3, 5], weights: [1, 1, 2], alpha: 1)
        XCTAssertEqual(ridge.coefficients[0], 5.5 / 3.75, accuracy: 1e-12)
        XCTAssertEqual(ridge.intercept, 3.5 - 1.25 * 5.5 / 3.75, accuracy: 1e-12)
        XCTAssertLessThan(ridge.r2, 1)
        XCTAssertThrowsError(try RidgeRegression.fit(features: [1, 1], featureCount: 1, targets: [1, 2], weights: [1, 1], alpha: 0)) {
            XCTAssertTrue("\($0)".contains("ridge alpha"), "\($0)")
        }
    }

    /// The bit-mask fit (LIME's) against the dense fit of the same 0/1 rows: coefficients,
    /// intercept, R^2 and both error estimates, with uneven weights, ridge and none.
    func testBitMaskFitEqualsTheDenseFit() throws {
        var random = SeededGenerator(seed: 52)
        for (m, n) in [(1, 9), (7, 40), (49, 300), (64, 200)] {
            let valid: UInt64 = m == 64 ? .max : (1 << UInt64(m)) - 1
            let masks = (0..<n).map { _ in random.next() & valid }
            let dense = masks.flatMap { mask in (0..<m).map { Double((mask >> UInt64($0)) & 1) } }
            let targets = masks.map { Double($0.nonzeroBitCount) * 0.1 + Double(random.floats(1)[0]) }
            let weights = (0..<n).map { _ in Double(random.floats(1, in: 0.05...2)[0]) }
            for alpha in [0.0, 1.0] where alpha > 0 || m < 20 {
                let a = try RidgeRegression.fit(masks: masks, featureCount: m, targets: targets, weights: weights, alpha: alpha)
                let b = try RidgeRegression.fit(features: dense, featureCount: m, targets: targets, weights: weights, alpha: alpha)
                let label = "m \(m), n \(n), alpha \(alpha)"
                for (x, y) in zip(a.coefficients, b.coefficients) { XCTAssertEqual(x, y, accuracy: 1e-10 * max(1, abs(y)), label) }
                XCTAssertEqual(a.intercept, b.intercept, accuracy: 1e-10, label)
                XCTAssertEqual(a.r2, b.r2, accuracy: 1e-10, label)
                for (x, y) in zip(a.sandwichStandardErrors ?? [], b.sandwichStandardErrors ?? []) { XCTAssertEqual(x, y, accuracy: 1e-10, label) }
                for (x, y) in zip(a.posteriorStandardErrors ?? [], b.posteriorStandardErrors ?? []) { XCTAssertEqual(x, y, accuracy: 1e-10, label) }
                XCTAssertEqual(a.sandwichStandardErrors?.count, b.sandwichStandardErrors?.count, label)
                XCTAssertEqual(a.posteriorStandardErrors?.count, b.posteriorStandardErrors?.count, label)
            }
        }
        XCTAssertThrowsError(try RidgeRegression.fit(masks: [1, 8], featureCount: 3, targets: [1, 2], weights: [1, 1], alpha: 1)) {
            XCTAssertTrue("\($0)".contains("mask 1 has a bit at or above feature 3"), "\($0)")
        }
    }

    func testBadOptionsAreRejected() throws {
        let request = try ExplainFixtures.request(try ExplainFixtures.linearModel(), backend: TestBackends.reference,
                                                  input: ExplainFixtures.image(), segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 0)
        XCTAssertThrowsError(try Lime(kernelWidth: 0).explain(request))
        XCTAssertThrowsError(try Lime(ridgeAlpha: -1).explain(request))
    }
}
