import Glassbox
import GlassboxTestSupport
import XCTest

final class GlobalExplanationTests: XCTestCase {
    func testAggregatesPerClassAndRanksSegments() throws {
        let segmentation = try Segmentation.grid(2, width: 4, height: 4)
        var global = GlobalExplanation(method: "exact", width: 4, height: 4, segmentCount: 4, classCount: 3)
        let input = [Float](repeating: 0.5, count: 16)
        func explanation(_ target: Int, _ values: [Double]) -> Explanation {
            Explanation(method: "exact", target: target, baseValue: 0, prediction: values.reduce(0, +), values: values,
                        pixelMap: segmentation.pixelMap(values), samples: 16, seconds: 0)
        }
        try global.add(explanation(1, [0.4, -0.2, 0, 0.1]), input: input, segmentation: segmentation)
        try global.add(explanation(1, [0.2, 0.2, 0, -0.1]), input: input, segmentation: segmentation)
        try global.add(explanation(2, [0, 0, 0.9, 0]), input: input, segmentation: segmentation)
        XCTAssertEqual(global.imagesPerClass, [0, 2, 1])
        for (value, expected) in zip(global.meanAbsoluteValues(ofClass: 1), [0.3, 0.2, 0, 0.1]) { XCTAssertEqual(value, expected, accuracy: 1e-12) }
        XCTAssertEqual(global.meanPixelMap(ofClass: 1)[0], 0.3, accuracy: 1e-12)   // segment 0: (0.4 + 0.2) / 2
        XCTAssertEqual(global.meanPixelMap(ofClass: 0), [Double](repeating: 0, count: 16))
        XCTAssertEqual(global.ranking.map(\.segment), [2, 0, 1, 3])   // 0.3, 0.2, 0.133, 0.067
        XCTAssertEqual(global.records.count, 3)
        XCTAssertEqual(global.records[0].intensities, [0.5, 0.5, 0.5, 0.5])
        XCTAssertThrowsError(try global.add(explanation(5, [0, 0, 0, 0]), input: input, segmentation: segmentation))
        let picture = SummaryPlot.classGrid(global, columns: 2, scale: 1)
        XCTAssertEqual(picture.width, 6 + (4 + 6) * 2)
        XCTAssertTrue(SummaryPlot.beeswarmSVG(global).contains("segment 2"))
        XCTAssertEqual(SummaryPlot.beeswarmPicture(global).height, 4 * 24 + 16)
    }
}
