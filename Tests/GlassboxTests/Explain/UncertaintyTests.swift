import XCTest
@testable import Glassbox
import GlassboxTestSupport

/// Standard errors, intervals and `--tolerance` of the explainers (issue 16); their calibration
/// is `CalibrationTests`.
final class UncertaintyTests: XCTestCase {
    /// Quantiles against the tables (Abramowitz & Stegun 26.2 and 26.7).
    func testQuantiles() {
        XCTAssertEqual(ConfidenceInterval.normalQuantile(0.975), 1.959964, accuracy: 1e-6)
        XCTAssertEqual(ConfidenceInterval.normalQuantile(0.995), 2.575829, accuracy: 1e-6)
        XCTAssertEqual(ConfidenceInterval.normalQuantile(0.5), 0, accuracy: 1e-12)
        XCTAssertEqual(ConfidenceInterval.normalQuantile(0.025), -1.959964, accuracy: 1e-6)
        XCTAssertEqual(ConfidenceInterval.normalQuantile(1e-10), -6.361341, accuracy: 1e-5)
        for (nu, t) in [(1.0, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706), (10, 2.2281), (30, 2.0423), (120, 1.9799)] {
            XCTAssertEqual(ConfidenceInterval.studentQuantile(0.975, degreesOfFreedom: nu), t, accuracy: nu < 4 ? 5e-3 : 1e-3, "nu \(nu)")
        }
        XCTAssertEqual(ConfidenceInterval.studentQuantile(0.95, degreesOfFreedom: 4), 2.1318, accuracy: 3e-3)
        XCTAssertEqual(ConfidenceInterval.quantile(level: 0.95, degreesOfFreedom: nil), 1.959964, accuracy: 1e-6)
        let interval = ConfidenceInterval(values: [1, -2], standardErrors: [0.5, 0], level: 0.9, degreesOfFreedom: nil)
        XCTAssertEqual(interval.low[0], 1 - 1.644854 * 0.5, accuracy: 1e-6)
        XCTAssertEqual(interval.high[0], 1 + 1.644854 * 0.5, accuracy: 1e-6)
        XCTAssertEqual(interval.low[1], -2)
        XCTAssertEqual(interval.high[1], -2)
        for bad in [0.0, 1, -0.5, 1.5, .nan] { XCTAssertThrowsError(try ConfidenceInterval.check(level: bad), "\(bad)") }
        for bad in [0.0, -1, .infinity, .nan] { XCTAssertThrowsError(try Convergence.check(tolerance: bad), "\(bad)") }
    }

    func testConvergenceRatio() {
        XCTAssertEqual(Convergence.ratio(values: [1, 3, -1], errors: [0.1, 0.4, 0.2]), 0.1, accuracy: 1e-12)
        XCTAssertEqual(Convergence.ratio(values: [2, 2], errors: [0, 0]), 0)
        XCTAssertEqual(Convergence.ratio(values: [2, 2], errors: [0.1, 0]), .infinity)
    }

    /// Exact methods report standard errors of 0, so intervals of width 0; sampled methods
    /// report positive ones on a non-linear model, with their degrees of freedom.
    func testEveryMethodReportsStandardErrors() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        var request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: segmentation, target: 1)
        for explainer in [ExactShapley(), PartitionShap(), Occlusion(), Saliency(), GradientTimesInput()] as [any Explainer] {
            let e = try explainer.explain(request)
            XCTAssertEqual(e.standardErrors, [Double](repeating: 0, count: 9), e.method)
            let interval = try XCTUnwrap(e.interval(level: 0.95))
            XCTAssertEqual(interval.low, e.values, e.method)
            XCTAssertEqual(interval.high, e.values, e.method)
        }
        // Kernel SHAP over every coalition is exact too (2^9 - 2 = 510 within the default budget).
        XCTAssertEqual(try KernelShap().explain(request).standardErrors, [Double](repeating: 0, count: 9))
        request.samples = 200
        var random = SeededGenerator(seed: 4)
        let background = (0..<10).map { _ in random.floats(64, in: 0...1) }
        let sampled: [any Explainer] = [KernelShap(), PermutationShap(), Lime(), GradientShap(background: background), DeepShap(background: background)]
        for explainer in sampled {
            let e = try explainer.explain(request)
            let errors = try XCTUnwrap(e.standardErrors, e.method)
            XCTAssertEqual(errors.count, 9, e.method)
            XCTAssertTrue(errors.allSatisfy { $0 > 0 && $0.isFinite }, "\(e.method): \(errors)")
            XCTAssertNotNil(e.degreesOfFreedom, e.method)
            let interval = try XCTUnwrap(e.interval(level: 0.95))
            let wider = try XCTUnwrap(e.interval(level: 0.99))
            for s in 0..<9 {
                XCTAssertLessThan(interval.low[s], e.values[s])
                XCTAssertLessThan(wider.low[s], interval.low[s], "a higher level gives a wider interval")
            }
        }
        // Integrated gradients: an estimate of the quadrature error, smaller with more steps.
        request.samples = 8
        let coarse = try XCTUnwrap(try IntegratedGradients().explain(request).standardErrors)
        request.samples = 64
        let fine = try XCTUnwrap(try IntegratedGradients().explain(request).standardErrors)
        XCTAssertLessThan(fine.reduce(0, +), coarse.reduce(0, +))
    }

    /// The integrated-gradients error estimate covers the trapezoid rule's actual error against
    /// a 200-point Gauss-Legendre result on the small CNN.
    func testIntegratedGradientsErrorEstimateCoversTheTrapezoidError() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        var request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: segmentation, target: 1, samples: 200)
        let truth = try IntegratedGradients().explain(request).values
        request.samples = 9
        let coarse = try IntegratedGradients(quadrature: .riemannTrapezoid).explain(request)
        let errors = try XCTUnwrap(coarse.standardErrors)
        let actual = zip(coarse.values, truth).map { abs($0 - $1) }
        XCTAssertGreaterThan(errors.reduce(0, +), 0)
        XCTAssertGreaterThanOrEqual(errors.reduce(0, +) * 2, actual.reduce(0, +), "estimates \(errors), errors \(actual)")
        XCTAssertEqual(IntegratedGradients.lowerOrderWeights([0.1, 0.5, 0.9], .gaussLegendre)!.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(IntegratedGradients.lowerOrderWeights([0, 0.25, 0.5, 0.75, 1], .riemannTrapezoid), [0.25, 0, 0.5, 0, 0.25])
        XCTAssertNil(IntegratedGradients.lowerOrderWeights([0.5], .gaussLegendre))
    }

    /// `tolerance`: on a linear model every sampled Shapley estimate is exact from the first round
    /// (errors 0), so the run stops early; on the CNN a tiny tolerance runs to the ceiling and
    /// says it did not converge.
    func testToleranceStopsEarlyOnAnEasyModelAndRunsToTheCeilingOnAHardOne() throws {
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        var random = SeededGenerator(seed: 6)
        let background = (0..<10).map { _ in random.floats(64, in: 0...1) }
        let linear = try ExplainFixtures.linearModel(), cnn = try ExplainFixtures.smallCNN()
        let explainers: [(any Explainer, Double)] = [(PermutationShap(), 0.01), (KernelShap(), 0.01), (Lime(ridgeAlpha: 0), 0.01),
                                                     (GradientShap(background: background), 0.01)]
        for (explainer, tolerance) in explainers {
            var easy = try ExplainFixtures.request(linear, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                   segmentation: segmentation, target: 1, samples: 20_000)
            easy.tolerance = tolerance
            let quick = try explainer.explain(easy)
            let c = try XCTUnwrap(quick.convergence, quick.method)
            XCTAssertTrue(c.converged, "\(quick.method): \(c)")
            XCTAssertLessThanOrEqual(c.ratio, tolerance)
            XCTAssertLessThan(quick.samples, 20_000 / 4, "\(quick.method) stops early")
            XCTAssertEqual(c.evaluations, quick.samples)

            var hard = try ExplainFixtures.request(cnn, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                   segmentation: segmentation, target: 1, samples: 3000)
            hard.tolerance = 1e-9
            let long = try explainer.explain(hard)
            let d = try XCTUnwrap(long.convergence, long.method)
            XCTAssertFalse(d.converged, "\(long.method): \(d)")
            XCTAssertGreaterThan(d.ratio, 1e-9)
            XCTAssertGreaterThan(long.samples, 3000 * 9 / 10, "\(long.method) runs to the ceiling")
            XCTAssertLessThanOrEqual(long.samples, 3000 + 2 + 1 + background.count)

            // Without a tolerance, nothing is said about convergence.
            hard.tolerance = nil
            XCTAssertNil(try explainer.explain(hard).convergence)
        }
    }

    /// The global view's standard errors over images: hand-checked on three images.
    func testGlobalStandardErrors() throws {
        let segmentation = try Segmentation.grid(1, width: 2, height: 1)
        var global = GlobalExplanation(method: "m", width: 2, height: 1, segmentCount: 1, classCount: 2)
        for value in [1.0, -3, 2] {
            let e = Explanation(method: "m", target: 0, baseValue: 0, prediction: value, values: [value], pixelMap: [value / 2, value / 2],
                                samples: 1, seconds: 0)
            try global.add(e, input: [0, 0], segmentation: segmentation)
        }
        // |values| 1, 3, 2: mean 2, sample sd 1, standard error 1 / sqrt(3).
        XCTAssertEqual(global.standardErrors(ofClass: 0)![0], 1 / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertNil(global.standardErrors(ofClass: 1))
        XCTAssertEqual(global.ranking[0].standardError!, 1 / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(global.rankingConvergenceRatio, .infinity, "one segment: no spread")
    }
}
