@testable import Glassbox
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
        let grid = SummaryPlot.classGrid(global, columns: 2, scale: 1)
        XCTAssertEqual(grid.width, 6 + (PixelFont.width(of: "class 0: 0") + 6) * 2)
        for label in ["CLASS 0: 0", "CLASS 1: 2", "CLASS 2: 1"] { XCTAssertTrue(contains(grid, label, scale: 1), "class grid lacks \(label)") }
        XCTAssertTrue(SummaryPlot.beeswarmSVG(global).contains("segment 2"))
        let beeswarm = SummaryPlot.beeswarmPicture(global)
        for label in ["EXACT OVER 3 IMAGES", "SEGMENT 2", "SEGMENT 0", "SEGMENT 1", "SEGMENT 3", "+0.9", "-0.9", "HIGH"] {
            XCTAssertTrue(contains(beeswarm, label, scale: 2), "beeswarm lacks \(label)")
        }
        XCTAssertFalse(contains(beeswarm, "SEGMENT 4", scale: 2), "there are only 4 segments")
    }

    /// Over table rows, the summary plot names features and colours dots by each feature's value
    /// between its 5th and 95th percentile (a wide column and a narrow one both span blue to red).
    /// One extreme value among 200 does not set the summary plot's axis: it ends at the 99th
    /// percentile of |value|, and the extreme point sits at its end.
    func testSummaryAxisIgnoresAHandfulOfExtremeValues() throws {
        let segmentation = try Segmentation.grid(1, width: 2, height: 1)
        var global = GlobalExplanation(method: "deep", width: 2, height: 1, segmentCount: 1, classCount: 1)
        var random = SeededGenerator(seed: 9)
        for i in 0..<200 {
            let value = i == 17 ? 7.8 : Double.random(in: -0.1...0.1, using: &random)
            let e = Explanation(method: "deep", target: 0, baseValue: 0, prediction: value, values: [value], pixelMap: [value, 0],
                                samples: 1, seconds: 0)
            try global.add(e, input: [0.5, 0.5], segmentation: segmentation)
        }
        let (_, largest, points) = SummaryPlot.beeswarm(global, top: 1, bins: 120)
        XCTAssertLessThanOrEqual(largest, 0.1)
        XCTAssertGreaterThan(largest, 0.09)
        XCTAssertEqual(points[17].x, 1, "the extreme value is drawn at the axis's end")
        XCTAssertGreaterThan(points.filter { abs($0.x) > 0.5 }.count, 50, "the other points spread over the axis")
    }

    func testTableSummaryColoursByFeatureValue() throws {
        var global = GlobalExplanation(method: "kernel", width: 2, height: 1, segmentCount: 2, classCount: 2)
        global.featureNames = ["age", "dose"]
        let segmentation = try Segmentation(width: 2, height: 1, segmentOfPixel: [0, 1])
        for (i, row) in [[20, 1000], [40, 3000], [60, 2000]].enumerated() {
            try global.add(Explanation(method: "kernel", target: 1, baseValue: 0, prediction: 0, values: [Double(i), 0.5], pixelMap: [0, 0],
                                       samples: 1, seconds: 0), input: row.map(Float.init), segmentation: segmentation)
        }
        XCTAssertEqual(global.colourValues.map { $0[0] }, [0, 0.5, 1])
        XCTAssertEqual(global.colourValues.map { $0[1] }, [0, 1, 0.5])
        XCTAssertEqual(global.segmentName(1), "dose")
        let picture = SummaryPlot.beeswarmPicture(global)
        for text in ["KERNEL OVER 3 ROWS, TOP 2 FEATURES", "AGE", "DOSE", "COLOUR: FEATURE VALUE, LOW"] {
            XCTAssertTrue(contains(picture, text, scale: 2), "the summary plot lacks \(text)")
        }
        XCTAssertTrue(SummaryPlot.beeswarmSVG(global).contains(">dose</text>"))
    }

    /// A table row's bar chart: the top features by |value|, largest first, each labelled (LIME's
    /// rules with their < and >), red bars right of zero for positive values, blue left.
    func testFeatureBarChartLabelsAndOrdersTheTopFeatures() throws {
        let explanation = Explanation(method: "lime", target: 1, baseValue: 0, prediction: 1, values: [0.1, -0.4, 0.02, 0.3],
                                      pixelMap: [], samples: 10, seconds: 0)
        let labels = ["a <= 1.00", "b > 2.50", "c <= 0.10", "1.00 < d <= 2.00"]
        let picture = FeatureBarChart.picture(explanation, labels: labels, top: 3)
        for text in ["LIME: CLASS 1, TOP 3 FEATURES", "B > 2.50", "1.00 < D <= 2.00", "A <= 1.00", "-0.4000", "+0.3000"] {
            XCTAssertTrue(contains(picture, text, scale: 2), "the chart lacks \(text)")
        }
        XCTAssertFalse(contains(picture, "C <= 0.10", scale: 2), "c is fourth by |value|: not among the top 3")
        // Rows top to bottom: b (blue, left of zero), d, a (red, right of zero).
        func colour(_ x: Int, _ y: Int) -> [UInt8] { let i = (y * picture.width + x) * 3; return Array(picture.rgb[i..<(i + 3)]) }
        var reds: [Int] = [], blues: [Int] = []
        for y in 0..<picture.height {
            for x in 0..<picture.width {
                let c = colour(x, y)
                if c == [255, 13, 87] { reds.append(y) } else if c == [31, 135, 230] { blues.append(y) }
            }
        }
        XCTAssertFalse(reds.isEmpty || blues.isEmpty)
        XCTAssertLessThan(blues.max()!, reds.min()!, "the negative bar of b comes first")
    }

    /// Whether `text` is drawn somewhere in `picture` in PixelFont's ink at `scale`.
    func contains(_ picture: AttributionImage.Picture, _ text: String, scale: Int) -> Bool {
        picture.locate(text, scale: scale) != nil
    }

    func testPixelFontGlyphsAreDistinctAndFitTheirCell() {
        let glyphs = PixelFont.glyphs
        XCTAssertEqual(Set(glyphs.values.map { $0.map(String.init).joined(separator: ",") }).count, glyphs.count, "two characters share a glyph")
        for (character, rows) in glyphs {
            XCTAssertEqual(rows.count, PixelFont.glyphHeight, "\(character)")
            XCTAssertTrue(rows.allSatisfy { $0 < 1 << PixelFont.glyphWidth }, "\(character)")
        }
        for character in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+-.:%()" { XCTAssertNotNil(glyphs[character], "no glyph for \(character)") }
        XCTAssertEqual(PixelFont.width(of: "ab", scale: 2), 22)
        // Text running off the picture is clipped, not a crash.
        var picture = AttributionImage.Picture(width: 10, height: 5)
        PixelFont.draw("clipped?", at: -3, -2, scale: 2, into: &picture)
        XCTAssertTrue(picture.rgb.contains(51))
    }
}
