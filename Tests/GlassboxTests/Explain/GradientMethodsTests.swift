@testable import Glassbox
import GlassboxTestSupport
import XCTest

final class GradientMethodsTests: XCTestCase {
    private func backends() throws -> [any Backend] { [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) }

    /// On the linear model the gradient of output t is the weight column W[., t] everywhere, so
    /// saliency is |W[p, t]|, gradient x input is W[p, t] x[p], and both segment sums follow.
    /// Tolerance 1e-6: the gradient is one float weight passed through the backward kernels.
    func testSaliencyAndGradientTimesInputOnALinearModel() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        let kernel = model.parameters[1][0]
        for backend in try backends() {
            let request = try ExplainFixtures.request(model, backend: backend, input: input, segmentation: segmentation, target: 2)
            let saliency = try Saliency().explain(request)
            let product = try GradientTimesInput().explain(request)
            for p in 0..<64 {
                XCTAssertEqual(saliency.pixelMap[p], Double(abs(kernel[p * 3 + 2])), accuracy: 1e-6, backend.name)
                XCTAssertEqual(product.pixelMap[p], Double(kernel[p * 3 + 2] * input[p]), accuracy: 1e-6, backend.name)
            }
            let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 2)
            for (value, truth) in zip(product.values, expected) { XCTAssertEqual(value, truth, accuracy: 1e-5) }
            XCTAssertEqual(saliency.values.reduce(0, +), Double(kernel.enumerated().filter { $0.offset % 3 == 2 }.map { abs($0.element) }.reduce(0, +)),
                           accuracy: 1e-4)
            XCTAssertEqual(product.efficiencyGap, 0, accuracy: 1e-5, "a linear model with zero baseline is complete")
            XCTAssertEqual(saliency.method, "saliency")
            XCTAssertEqual(product.method, "gradient-input")
        }
    }

    /// For a linear model every quadrature rule whose weights sum to 1 is exact, at any step
    /// count; the nonzero baseline checks the (x - b) factor.
    func testIntegratedGradientsIsExactOnALinearModel() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        var random = SeededGenerator(seed: 9)
        let baseline = random.floats(64, in: 0...1)
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        let kernel = model.parameters[1][0]
        for backend in try backends() {
            let request = try ExplanationRequest(session: try InferenceSession(model: model, backend: backend), input: input,
                                                 baseline: baseline, segmentation: segmentation, target: 0)
            for method in [IntegratedGradients(steps: 3), IntegratedGradients(steps: 2, quadrature: .riemannTrapezoid),
                           IntegratedGradients(steps: 1)] {
                let explanation = try method.explain(request)
                XCTAssertEqual(explanation.metrics["completeness_gap"]!, 0, accuracy: 1e-5, "\(backend.name) \(method.quadrature)")
                for p in 0..<64 {
                    XCTAssertEqual(explanation.pixelMap[p], Double(kernel[p * 3]) * (Double(input[p]) - Double(baseline[p])), accuracy: 1e-6)
                }
            }
        }
    }

    /// On the small CNN (softmax output), 50 Gauss-Legendre steps leave a completeness gap below
    /// 1% of f(x) - f(b) (measured: about 1e-7 relative, the integrand is smooth between kinks).
    /// The trapezoid rule evaluates the zero baseline itself, where max-pool ties make the
    /// gradient unrepresentative, so its gap falls only as 1/n (measured 1.0% at 50 steps,
    /// 0.5% at 100): it gets 100 steps. The backends agree to 1e-4 relative (float forward and
    /// backward passes summed over 50 points).
    func testIntegratedGradientsCompletenessOnASmallCNN() throws {
        let model = try ExplainFixtures.smallCNN()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(2, width: 8, height: 8)
        var reference: Explanation?
        for backend in try backends() {
            let request = try ExplainFixtures.request(model, backend: backend, input: input, segmentation: segmentation, target: 1)
            let explanation = try IntegratedGradients().explain(request)
            let change = explanation.prediction - explanation.baseValue
            XCTAssertGreaterThan(abs(change), 1e-3, "the test needs a visible change of output")
            XCTAssertLessThan(abs(explanation.metrics["completeness_gap"]!), 1e-2 * abs(change), backend.name)
            XCTAssertEqual(explanation.samples, 52)
            let trapezoid = try IntegratedGradients(steps: 100, quadrature: .riemannTrapezoid).explain(request)
            XCTAssertLessThan(abs(trapezoid.metrics["completeness_gap"]!), 1e-2 * abs(change), backend.name)
            if let reference {
                XCTAssertLessThan(relativeError(explanation.pixelMap.map(Float.init), reference.pixelMap.map(Float.init)), 1e-4, backend.name)
            } else {
                reference = explanation
            }
        }
    }

    /// `request.samples` overrides the steps; more steps do not change a converged value much.
    func testSamplesOverrideSteps() throws {
        var request = try ExplainFixtures.request(try ExplainFixtures.smallCNN(), backend: TestBackends.reference,
                                                  input: ExplainFixtures.image(), segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 0)
        request.samples = 7
        XCTAssertEqual(try IntegratedGradients().explain(request).metrics["steps"], 7)
        XCTAssertThrowsError(try IntegratedGradients(steps: 1, quadrature: .riemannTrapezoid).explain(
            try ExplainFixtures.request(try ExplainFixtures.linearModel(), backend: TestBackends.reference, input: ExplainFixtures.image(),
                                        segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 0, samples: nil)))
    }

    /// Gauss-Legendre nodes against known values: n = 2 gives +-1/sqrt(3) with weights 1; n = 3
    /// gives 0, +-sqrt(3/5) with weights 8/9, 5/9; n = 50 integrates x^20 on [-1, 1] (2/21) exactly.
    func testGaussLegendreNodes() {
        let (two, twoWeights) = IntegratedGradients.gaussLegendre(2)
        XCTAssertEqual(two[0], -1 / 3.0.squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(two[1], 1 / 3.0.squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(twoWeights[0], 1, accuracy: 1e-14)
        let (three, threeWeights) = IntegratedGradients.gaussLegendre(3)
        XCTAssertEqual(three[1], 0, accuracy: 1e-14)
        XCTAssertEqual(three[2], (0.6).squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(threeWeights[1], 8.0 / 9, accuracy: 1e-14)
        XCTAssertEqual(threeWeights[0], 5.0 / 9, accuracy: 1e-14)
        let (fifty, fiftyWeights) = IntegratedGradients.gaussLegendre(50)
        XCTAssertEqual(fiftyWeights.reduce(0, +), 2, accuracy: 1e-13)
        XCTAssertEqual(zip(fifty, fiftyWeights).reduce(0) { $0 + $1.1 * pow($1.0, 20) }, 2.0 / 21, accuracy: 1e-13)
        XCTAssertEqual(fifty, fifty.sorted())
    }

    /// With the zero image as the only background and no noise, every sample's term is
    /// grad(a x) * x = W[., t] * x for the linear model: the closed form, at any sample count.
    func testGradientShapOnALinearModelIsTheClosedForm() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        let zero = [Float](repeating: 0, count: 64)
        for backend in try backends() {
            let request = try ExplainFixtures.request(model, backend: backend, input: input, segmentation: segmentation, target: 1, samples: 5)
            let explanation = try GradientShap(background: [zero]).explain(request)
            let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 1)
            for (value, truth) in zip(explanation.values, expected) { XCTAssertEqual(value, truth, accuracy: 1e-5, backend.name) }
            XCTAssertEqual(explanation.metrics["completeness_gap"]!, 0, accuracy: 1e-5)
            XCTAssertEqual(explanation.baseValue, Double(model.parameters[1][1][1]), accuracy: 1e-6)
            XCTAssertEqual(explanation.samples, 5 + 1 + 1)
        }
    }

    /// Several backgrounds and noise on the small CNN: same seed same values, another seed other
    /// values, backends agree (1e-4 relative: the same draws, float gradients), and the result
    /// carries attributions only (per-pixel map and per-segment values, no background images).
    func testGradientShapIsSeededAndAgreesAcrossBackends() throws {
        let model = try ExplainFixtures.smallCNN()
        var random = SeededGenerator(seed: 11)
        let background = (0..<4).map { _ in random.floats(64, in: 0...1) }
        let segmentation = try Segmentation.grid(2, width: 8, height: 8)
        let method = GradientShap(background: background, noiseStandardDeviation: 0.05)
        func run(_ backend: any Backend, seed: UInt64) throws -> Explanation {
            try method.explain(try ExplainFixtures.request(model, backend: backend, input: ExplainFixtures.image(),
                                                           segmentation: segmentation, target: 2, samples: 40, seed: seed))
        }
        let first = try run(TestBackends.reference, seed: 1)
        XCTAssertEqual(try run(TestBackends.reference, seed: 1).pixelMap, first.pixelMap)
        XCTAssertNotEqual(try run(TestBackends.reference, seed: 2).pixelMap, first.pixelMap)
        XCTAssertEqual(first.pixelMap.count, 64)
        XCTAssertEqual(first.values.count, 4)
        XCTAssertEqual(first.metrics["background_size"], 4)
        for backend in try TestBackends.openCLBackends() {
            XCTAssertLessThan(relativeError(try run(backend, seed: 1).pixelMap.map(Float.init), first.pixelMap.map(Float.init)), 1e-4, backend.name)
        }
    }

    /// With noise the values add up to the mean output over the noisy copies, not to f(x): for
    /// the linear model with one background image each term is exactly f(x~) - f(b), so the
    /// efficiency gap taken against `summedPrediction` is zero to rounding at any noise, while
    /// the gap against f(x) would be the noise's mean effect. Noise 0 reports no such output.
    func testGradientShapWithNoiseIsEfficientAgainstTheNoisyMean() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(3, width: 8, height: 8)
        let background = [[Float](repeating: 0.2, count: 64)]
        for backend in try backends() {
            let request = try ExplainFixtures.request(model, backend: backend, input: input, segmentation: segmentation, target: 1, samples: 30)
            let noisy = try GradientShap(background: background, noiseStandardDeviation: 0.5).explain(request)
            let summed = try XCTUnwrap(noisy.summedPrediction)
            XCTAssertEqual(noisy.efficiencyGap, 0, accuracy: 1e-5, backend.name)
            XCTAssertEqual(noisy.metrics["noise"], 0.5)
            XCTAssertEqual(noisy.metrics["mean_noisy_prediction"], summed)
            XCTAssertGreaterThan(abs(summed - noisy.prediction), 1e-3, "the noise moved the mean output: the test can tell the two apart")
            XCTAssertEqual(noisy.samples, 30 + 1 + 1 + 30)
            let exact = try GradientShap(background: background, noiseStandardDeviation: 0).explain(request)
            XCTAssertEqual(exact.summedPrediction, exact.prediction, "without noise the values add up to f(x) - base")
            XCTAssertEqual(exact.efficiencyGap, 0, accuracy: 1e-5, backend.name)
            XCTAssertEqual(exact.metrics["noise"], 0)
        }
        XCTAssertEqual((try ExplanationMethods.make("gradient-shap", background: background) as? GradientShap)?.noiseStandardDeviation, 0.09)
        XCTAssertEqual((try ExplanationMethods.make("gradient-shap", background: background, noise: 0) as? GradientShap)?.noiseStandardDeviation, 0)
    }

    /// Sample budgets are capped by host memory, and the error says the cap and why.
    func testSampleBudgetsAreCappedByHostMemory() throws {
        let small = ExplanationRequest.maximumSamples(inputCount: 784, segments: 16, classes: 10, hostBytes: 4 << 30)
        XCTAssertEqual(small.samples, (1 << 30) / (12 * 784))
        XCTAssertTrue(small.reason.contains("9408 bytes"), small.reason)
        let large = ExplanationRequest.maximumSamples(inputCount: 64, segments: 4, classes: 3, hostBytes: 1 << 50)
        XCTAssertEqual(large.samples, ExplanationRequest.sampleRange.upperBound)
        let model = try ExplainFixtures.linearModel()
        let segmentation = try Segmentation.grid(2, width: 8, height: 8)
        let limit = ExplanationRequest.maximumSamples(inputCount: 64, segments: 4, classes: 3).samples
        XCTAssertThrowsError(try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                         segmentation: segmentation, target: 0, samples: limit + 1)) { error in
            XCTAssertTrue("\(error)".contains("--samples \(limit + 1) is outside 1...\(limit)"), "\(error)")
        }
        XCTAssertNoThrow(try ExplainFixtures.request(model, backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                     segmentation: segmentation, target: 0, samples: limit))
    }

    func testGradientShapRejectsBadBackgrounds() throws {
        let request = try ExplainFixtures.request(try ExplainFixtures.linearModel(), backend: TestBackends.reference,
                                                  input: ExplainFixtures.image(), segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 0)
        XCTAssertThrowsError(try GradientShap(background: []).explain(request))
        XCTAssertThrowsError(try GradientShap(background: [[0, 1]]).explain(request)) { XCTAssertTrue("\($0)".contains("background image 0"), "\($0)") }
        XCTAssertThrowsError(try GradientShap(background: [[Float](repeating: 0, count: 64)], noiseStandardDeviation: -1).explain(request))
    }
}
