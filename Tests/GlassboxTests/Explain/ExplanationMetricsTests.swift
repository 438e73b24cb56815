import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

final class ExplanationMetricsTests: XCTestCase {
    func testSpearmanAndRanks() {
        XCTAssertEqual(ExplanationMetrics.spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1, accuracy: 1e-12)
        XCTAssertEqual(ExplanationMetrics.spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1, accuracy: 1e-12)
        // Ties take their average rank: ranks (1.5, 1.5, 3) and (1, 2, 3) correlate at sqrt(3)/2.
        XCTAssertEqual(ExplanationMetrics.spearman([5, 5, 7], [1, 2, 3]), 3.0.squareRoot() / 2, accuracy: 1e-12)
        XCTAssertEqual(ExplanationMetrics.area([0, 1]), 0.5, accuracy: 1e-12)
        XCTAssertEqual(ExplanationMetrics.area([1, 1, 1]), 1, accuracy: 1e-12)
    }

    /// On the linear model with a zero baseline, removing segments in the order of their exact
    /// Shapley values removes their contributions one by one: the deletion curve is the
    /// prediction minus the running sum of the sorted values.
    func testFaithfulnessCurvesOnALinearModel() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let segmentation = try Segmentation.grid(2, width: 8, height: 8)
        let request = try ExplainFixtures.request(model, backend: CPUBackend(), input: input, segmentation: segmentation, target: 0)
        let explanation = try ExactShapley().explain(request)
        let curves = try ExplanationMetrics.faithfulness(values: explanation.values, engine: try request.makeEngine(), target: 0)
        let sorted = explanation.values.sorted(by: >)
        var expected = [explanation.prediction]
        for value in sorted { expected.append(expected.last! - value) }
        for (a, b) in zip(curves.deletion, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(curves.insertion.first!, explanation.baseValue, accuracy: 1e-6)
        XCTAssertEqual(curves.insertion.last!, explanation.prediction, accuracy: 1e-5)
        XCTAssertEqual(curves.deletionArea, ExplanationMetrics.area(curves.deletion), accuracy: 1e-12)
    }

    func testMaximumSensitivityIsZeroForAConstantExplainerAndGrowsWithRadius() throws {
        let input = ExplainFixtures.image()
        let constant = ExplanationMetrics.maximumSensitivity(values: [1, 2], input: input) { _ in [1, 2] }
        XCTAssertEqual(constant.absolute, 0)
        let identity = { (x: [Float]) -> [Double] in x.map(Double.init) }
        let small = ExplanationMetrics.maximumSensitivity(values: identity(input), input: input, radius: 0.01, draws: 5, explain: identity)
        let large = ExplanationMetrics.maximumSensitivity(values: identity(input), input: input, radius: 0.1, draws: 5, explain: identity)
        XCTAssertGreaterThan(small.absolute, 0)
        XCTAssertGreaterThan(large.absolute, small.absolute)
    }

    func testPicturesAndReport() throws {
        XCTAssertTrue(AttributionImage.color(0) == (1, 1, 1))
        XCTAssertGreaterThan(AttributionImage.color(1).0, AttributionImage.color(1).2, "positive is red")
        XCTAssertGreaterThan(AttributionImage.color(-1).2, AttributionImage.color(-1).0, "negative is blue")
        let input = ExplainFixtures.image()
        let map = (0..<64).map { Double($0 % 8) - 3.5 }
        let picture = AttributionImage.render(input: input, width: 8, height: 8, maps: [map], scale: 2)
        XCTAssertEqual(picture.width, 8 + (16 + 8) * 2)
        let png = try AttributionImage.png(picture)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let decoded = try PNG.decodeGray(png, path: "render")
        XCTAssertEqual(decoded.width, picture.width)

        let explanation = Explanation(method: "exact", target: 1, baseValue: 0.1, prediction: 0.9, values: [0.5, 0.3],
                                      pixelMap: map, samples: 4, seconds: 0.01)
        let report = ExplanationReport(title: "a <test>", input: input, width: 8, height: 8, probabilities: [0.1, 0.9],
                                       classNames: ["zero", "one"], explanations: [explanation],
                                       faithfulness: ["exact": .init(deletion: [0.9, 0.4, 0.1], insertion: [0.1, 0.6, 0.9],
                                                                     deletionArea: 0.45, insertionArea: 0.55)])
        let html = try report.html()
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("a &lt;test&gt;"), "the title is escaped")
        XCTAssertEqual(html.components(separatedBy: "data:image/png;base64,").count - 1, 2, "input and one heatmap, embedded")
        XCTAssertTrue(html.contains("<polyline") && html.contains("one"))
        XCTAssertFalse(html.contains("src=\"http"), "self-contained: nothing fetched")
    }
}
