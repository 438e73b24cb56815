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

    /// Whether `text` is drawn somewhere in `picture` in PixelFont's ink at `scale`: every glyph
    /// pixel inked and every other pixel of its 5 x 7 cell not.
    func contains(_ picture: AttributionImage.Picture, _ text: String, scale: Int) -> Bool {
        let glyphs = text.map { PixelFont.glyphs[$0]! }
        func inked(_ x: Int, _ y: Int) -> Bool {
            let i = (y * picture.width + x) * 3
            return picture.rgb[i] == 51 && picture.rgb[i + 1] == 51 && picture.rgb[i + 2] == 51
        }
        let width = PixelFont.width(of: text, scale: scale), height = PixelFont.glyphHeight * scale
        guard picture.width >= width, picture.height >= height else { return false }
        for top in 0...(picture.height - height) {
            search: for left in 0...(picture.width - width) {
                for (index, rows) in glyphs.enumerated() {
                    for (row, bits) in rows.enumerated() {
                        for column in 0..<PixelFont.glyphWidth {
                            let x = left + (index * PixelFont.advance + column) * scale, y = top + row * scale
                            if inked(x, y) != (bits & (1 << (PixelFont.glyphWidth - 1 - column)) != 0) { continue search }
                        }
                    }
                }
                return true
            }
        }
        return false
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
