@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// The pictures and the report show how sure the attributions are: hatched segments whose
/// interval contains 0, labelled panels and colour bars, error bars and what the intervals settle.
final class UncertaintyPicturesTests: XCTestCase {
    func locate(_ text: String, in picture: AttributionImage.Picture, scale: Int = 1) -> (x: Int, y: Int)? {
        picture.locate(text, scale: scale)
    }

    /// The pixels at which `a` and `b` differ, over the area both cover.
    func differences(_ a: AttributionImage.Picture, _ b: AttributionImage.Picture) -> [(x: Int, y: Int)] {
        var found: [(x: Int, y: Int)] = []
        for y in 0..<min(a.height, b.height) {
            for x in 0..<min(a.width, b.width) {
                let i = (y * a.width + x) * 3, j = (y * b.width + x) * 3
                if a.rgb[i..<(i + 3)] != b.rgb[j..<(j + 3)] { found.append((x, y)) }
            }
        }
        return found
    }

    func testHatchingCoversTheDiagonalsOfUncertainSegmentsOnlyAndAddsALegend() throws {
        let segmentation = try Segmentation.grid(2, width: 8, height: 8)
        let input = ExplainFixtures.image()
        let map = segmentation.pixelMap([0.5, -0.02, 0.3, 0.01])
        let uncertain = segmentation.segmentOfPixel.map { $0 == 1 || $0 == 3 }   // the right half
        let plain = AttributionImage.render(input: input, width: 8, height: 8, panels: [.init(title: "m", map: map)], scale: 2)
        let hatched = AttributionImage.render(input: input, width: 8, height: 8,
                                              panels: [.init(title: "m", map: map, uncertain: uncertain)], scale: 2, intervalLevel: 0.9)
        let changed = differences(plain, hatched)
        // Two 4 x 4 segments at scale 2 are 128 screen pixels; one diagonal in 4 is 32 of them.
        XCTAssertEqual(changed.count, 32)
        XCTAssertEqual(Set(changed.map { ($0.x + $0.y) % AttributionImage.hatchSpacing }).count, 1, "hatch pixels lie on every 4th diagonal")
        let columns = changed.map(\.x), rows = changed.map(\.y)
        XCTAssertEqual(columns.max()! - columns.min()!, 7, "only the right half of the panel (8 screen pixels) is hatched")
        XCTAssertEqual(rows.max()! - rows.min()!, 15, "down the panel's whole height")
        for (x, y) in changed {
            let i = (y * hatched.width + x) * 3
            XCTAssertEqual(Array(hatched.rgb[i..<(i + 3)]), [26, 26, 26])
        }
        XCTAssertGreaterThan(hatched.height, plain.height)
        XCTAssertNil(locate("hatched: 90% interval contains 0", in: plain))
        let legend = try XCTUnwrap(locate("hatched: 90% interval contains 0", in: hatched))
        XCTAssertGreaterThanOrEqual(legend.y, plain.height, "the legend is under the strip")
        // No flag set: no hatching and no legend.
        let none = AttributionImage.render(input: input, width: 8, height: 8,
                                           panels: [.init(title: "m", map: map, uncertain: [Bool](repeating: false, count: 64))], scale: 2)
        XCTAssertEqual(none, plain)
    }

    func testTitlesAreDrawnAbovePanelsAndTheColourBarIsLabelledWithItsRange() throws {
        let input = ExplainFixtures.image()
        let small = (0..<64).map { Double($0 % 8 - 3) * 0.0041 }   // largest |value| 0.0164
        let large = (0..<64).map { Double($0 / 8 - 3) * 0.625 }    // by row, largest |value| 2.5
        func render(_ title: String, _ map: [Double]) -> AttributionImage.Picture {
            AttributionImage.render(input: input, width: 8, height: 8, panels: [.init(title: title, map: map)], scale: 16)
        }
        let picture = render("kernel", small)
        XCTAssertNotNil(locate("input", in: picture))
        let title = try XCTUnwrap(locate("kernel", in: picture))
        // A different map changes the panel (and its labels): the first such row is the panel's top.
        let panelTop = differences(picture, render("kernel", large)).map(\.y).min()!
        let titled = differences(picture, render("", small))
        XCTAssertFalse(titled.isEmpty)
        XCTAssertLessThan(titled.map(\.y).max()!, panelTop, "the title changes only pixels above the panel")
        XCTAssertLessThan(title.y + PixelFont.glyphHeight, panelTop + 1)

        let low = try XCTUnwrap(locate("-0.0164", in: picture)), high = try XCTUnwrap(locate("+0.0164", in: picture))
        XCTAssertGreaterThan(low.y, panelTop + 8 * 16, "labels under the panel")
        XCTAssertEqual(low.y, high.y)
        XCTAssertLessThan(low.x, high.x)
        let other = render("kernel", large)
        XCTAssertNil(locate("+0.0164", in: other))
        let highLarge = try XCTUnwrap(locate("+2.5", in: other))
        XCTAssertNotNil(locate("-2.5", in: other))
        XCTAssertEqual(other.width, picture.width, "a 128-pixel panel fits either label set")
        XCTAssertEqual(highLarge.x - high.x, PixelFont.width(of: "+0.0164") - PixelFont.width(of: "+2.5"), "the right label ends at the bar's right end")
        XCTAssertEqual(highLarge.y, high.y)

        XCTAssertTrue(AttributionImage.rangeLabels(largest: 0.0123) == ("-0.0123", "0", "+0.0123"))
        XCTAssertTrue(AttributionImage.rangeLabels(largest: 1.5e-5) == ("-1.5e-5", "0", "+1.5e-5"))
        XCTAssertTrue(AttributionImage.rangeLabels(largest: 123_456) == ("-1.23e5", "0", "+1.23e5"))
        XCTAssertTrue(AttributionImage.rangeLabels(largest: 0) == ("", "0", ""))
    }

    func testPanelOfAnExplanationHatchesSegmentsWhoseIntervalContainsZero() throws {
        let segmentation = try Segmentation.grid(2, width: 4, height: 4)
        let values = [0.5, -0.3, 0.05, 0.0]
        var explanation = Explanation(method: "kernel", target: 0, baseValue: 0, prediction: 0.25, values: values,
                                      pixelMap: segmentation.pixelMap(values), samples: 100, seconds: 0,
                                      standardErrors: [0.05, 0.05, 0.1, 0.0])
        let panel = AttributionImage.Panel(explanation, segmentation: segmentation, level: 0.95)
        XCTAssertEqual(panel.title, "kernel")
        XCTAssertEqual(panel.uncertain, segmentation.segmentOfPixel.map { $0 == 2 }, "an exact 0 (width 0) is not hatched")
        XCTAssertNil(AttributionImage.Panel(explanation, segmentation: nil, level: 0.95).uncertain)
        explanation.standardErrors = nil
        XCTAssertNil(AttributionImage.Panel(explanation, segmentation: segmentation, level: 0.95).uncertain)
    }

    func testSignsAndTopSetsAreSettledOnlyWhenTheIntervalsSeparate() {
        XCTAssertEqual(ExplanationReport.signSettled(low: [0.1, -0.3, -0.1, 0], high: [0.3, -0.1, 0.2, 0.1]), [true, true, false, false])
        // Segment 0's interval lies above every other's: the top 1 is settled; segment 1's lower
        // end (0.3) is below segment 2's upper end (0.4): the top 2 is not.
        let values = [1.0, 0.5, 0.2], low = [0.8, 0.3, 0.0], high = [1.2, 0.7, 0.4]
        XCTAssertTrue(ExplanationReport.settled(values: values, low: low, high: high, k: 1))
        XCTAssertFalse(ExplanationReport.settled(values: values, low: low, high: high, k: 2))
        XCTAssertTrue(ExplanationReport.settled(values: values, low: low, high: high, k: 3), "nothing outside")
        let places = ExplanationReport.settledPlaces(values: values, low: low, high: high, k: 2)
        XCTAssertEqual(places.map(\.segment), [0, 1])
        XCTAssertEqual(places.map(\.settled), [true, false])
        // Overlapping intervals: segment 0 could fall below segment 1.
        XCTAssertFalse(ExplanationReport.settled(values: values, low: [0.6, 0.3, 0.0], high: [1.4, 0.7, 0.4], k: 1))
        // A large value whose interval contains 0 could be 0: never settled.
        XCTAssertFalse(ExplanationReport.settled(values: [-1, 0.1], low: [-2.5, 0.05], high: [0.5, 0.15], k: 1))
        // Negative values rank by magnitude: |[-1.2, -0.8]| >= 0.8 > 0.3.
        XCTAssertTrue(ExplanationReport.settled(values: [0.2, -1], low: [0.1, -1.2], high: [0.3, -0.8], k: 1))
        XCTAssertEqual(ExplanationReport.settledPlaces(values: [0.2, -1], low: [0.1, -1.2], high: [0.3, -0.8], k: 1).map(\.segment), [1])
    }

    func testReportDrawsErrorBarsAndSaysWhatIsSettled() throws {
        let segmentation = try Segmentation.grid(2, width: 8, height: 8)
        let input = ExplainFixtures.image()
        let values = [0.5, -0.3, 0.05, 0.2]
        func explanation(_ method: String, _ errors: [Double]?) -> Explanation {
            Explanation(method: method, target: 1, baseValue: 0.1, prediction: 0.55, values: values, pixelMap: segmentation.pixelMap(values),
                        samples: 64, seconds: 0.01, standardErrors: errors)
        }
        // At 95% (q = 1.96): [0.42, 0.58], [-0.40, -0.20], [-0.15, 0.25], [0.10, 0.30].
        let sampled = explanation("kernel", [0.04, 0.05, 0.1, 0.05])
        var report = ExplanationReport(title: "uncertainty", input: input, width: 8, height: 8, probabilities: [0.45, 0.55],
                                       classNames: ["zero", "one"],
                                       explanations: [sampled, explanation("exact", [0, 0, 0, 0]), explanation("<lime>", nil)],
                                       faithfulness: [:])
        report.segmentation = segmentation
        let html = try report.html()
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"ranking\"").count - 1, 3, "one ranking per method")
        XCTAssertEqual(html.components(separatedBy: "class=\"errorbar\"").count - 1, 4, "error bars for the sampled method's four segments only")
        XCTAssertTrue(html.contains("Sign settled (95% interval excludes 0) for 3 of 4 segments: 0, 1, 3."))
        XCTAssertTrue(html.contains("Ranking: top 1 settled, top 3 not settled."))
        XCTAssertFalse(html.contains("top 5"), "only k up to the number of segments")
        XCTAssertTrue(html.contains("The values are exact"))
        XCTAssertTrue(html.contains("No standard errors"))
        XCTAssertTrue(html.contains("&lt;lime&gt;") && !html.contains("<lime>"))
        // The sampled method's heatmap is the labelled, hatched render.
        let panel = AttributionImage.Panel(sampled, segmentation: segmentation, level: 0.95)
        XCTAssertEqual(panel.uncertain?.filter { $0 }.count, 16)
        let picture = AttributionImage.render(input: input, width: 8, height: 8, panels: [panel], scale: 6, intervalLevel: 0.95)
        XCTAssertTrue(html.contains(try AttributionImage.png(picture).base64EncodedString()))

        report.confidenceLevel = 0.3
        let narrow = try report.html()
        XCTAssertTrue(narrow.contains("Sign settled (30% interval excludes 0) for 4 of 4 segments: 0, 1, 3, 2."))
    }
}
