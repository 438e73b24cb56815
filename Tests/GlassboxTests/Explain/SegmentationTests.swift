@testable import Glassbox
import GlassboxTestSupport
import XCTest

final class SegmentationTests: XCTestCase {
    /// The id of the pixel at `row`, `column`.
    func id(_ segmentation: Segmentation, _ row: Int, _ column: Int) -> Int {
        segmentation.segmentOfPixel[row * segmentation.width + column]
    }

    /// 28 is no multiple of 3: blocks of 9, 9 and 10 pixels per side, the last row and column of
    /// blocks taking the remainder; ids go row-major.
    func testGridNumbersRowMajorAndTheLastBlocksAbsorbTheRemainder() throws {
        let grid = try Segmentation.grid(3, width: 28, height: 28)
        XCTAssertEqual(grid.count, 9)
        XCTAssertEqual(grid.segmentOfPixel.count, 784)
        XCTAssertEqual(id(grid, 0, 0), 0)
        XCTAssertEqual(id(grid, 0, 8), 0)
        XCTAssertEqual(id(grid, 8, 9), 1)
        XCTAssertEqual(id(grid, 9, 8), 3)
        XCTAssertEqual(id(grid, 0, 27), 2)
        XCTAssertEqual(id(grid, 17, 17), 4)
        XCTAssertEqual(id(grid, 18, 0), 6)
        XCTAssertEqual(id(grid, 26, 26), 8)
        XCTAssertEqual(id(grid, 27, 27), 8)
        XCTAssertEqual(grid.pixelsOfSegment.map(\.count), [81, 81, 90, 81, 81, 90, 90, 90, 100])

        // Not square: 10 wide (blocks of 3, 3, 4 columns), 7 high (2, 2, 3 rows).
        let wide = try Segmentation.grid(3, width: 10, height: 7)
        XCTAssertEqual(wide.count, 9)
        let firstRow = (0..<10).map { id(wide, 0, $0) }, firstColumn = (0..<7).map { id(wide, $0, 0) }
        XCTAssertEqual(firstRow, [0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
        XCTAssertEqual(firstColumn, [0, 0, 3, 3, 6, 6, 6])
        XCTAssertEqual(id(wide, 6, 9), 8)
        XCTAssertEqual(try Segmentation.grid(1, width: 5, height: 4).segmentOfPixel, [Int](repeating: 0, count: 20))
    }

    func testGridLargerThanTheImageThrowsNamingTheSizes() {
        XCTAssertThrowsError(try Segmentation.grid(29, width: 28, height: 28)) { error in
            for fragment in ["grid:29", "28x28", "between 1 and 28"] { XCTAssertTrue("\(error)".contains(fragment), "\(error)") }
        }
        // The shorter side limits the grid.
        XCTAssertThrowsError(try Segmentation.grid(8, width: 10, height: 7)) { XCTAssertTrue("\($0)".contains("10x7"), "\($0)") }
        XCTAssertThrowsError(try Segmentation.grid(0, width: 28, height: 28))
    }

    /// Values become ids in increasing order of value, whatever order they first appear in.
    func testMapRenumbersValuesInIncreasingOrder() throws {
        let map = try Segmentation.map([7, 200, 3, 3, 7, 200], width: 3, height: 2)
        XCTAssertEqual(map.count, 3)
        XCTAssertEqual(map.segmentOfPixel, [1, 2, 0, 0, 1, 2])
        XCTAssertEqual(map.pixelsOfSegment, [[2, 3], [0, 4], [1, 5]])
        XCTAssertEqual(try Segmentation.map([-4, 9, 9, -4], width: 2, height: 2).segmentOfPixel, [0, 1, 1, 0])
    }

    func testMapOfTheWrongSizeThrows() {
        XCTAssertThrowsError(try Segmentation.map([1, 2, 3], width: 2, height: 2)) { error in
            XCTAssertTrue("\(error)".contains("2x2") && "\(error)".contains("4 segment ids, got 3"), "\(error)")
        }
        XCTAssertThrowsError(try Segmentation(width: 2, height: 1, segmentOfPixel: [0, 2])) { error in
            XCTAssertTrue("\(error)".contains("without gaps"), "\(error)")
        }
    }

    /// Four flat quadrants of different sizes and intensities: intensity outweighs distance
    /// (compactness 0.1), so no superpixel crosses a quadrant's border.
    func testSuperpixelsFollowFlatRegions() throws {
        let (width, height, splitRow, splitColumn) = (28, 28, 11, 16)
        let levels: [Float] = [0.1, 0.4, 0.7, 1.0]
        let image = (0..<(width * height)).map { p in
            levels[(p / width < splitRow ? 0 : 2) + (p % width < splitColumn ? 0 : 1)]
        }
        let superpixels = try Segmentation.superpixels(4, image: image, width: width, height: height)
        XCTAssertTrue((2...8).contains(superpixels.count), "\(superpixels.count) segments")
        for (segment, pixels) in superpixels.pixelsOfSegment.enumerated() {
            XCTAssertEqual(Set(pixels.map { image[$0] }).count, 1, "segment \(segment) mixes intensities")
        }
    }

    /// On noise every pixel still gets an id, ids are 0..<count, and every segment is one
    /// 4-connected piece (checked by a flood fill here).
    func testSuperpixelsOnNoiseAreConnectedAndNumberedWithoutGaps() throws {
        var random = SeededGenerator(seed: 41)
        for (width, height, target) in [(28, 28, 16), (28, 28, 49), (20, 13, 9)] {
            let image = random.floats(width * height, in: 0...1)
            let superpixels = try Segmentation.superpixels(target, image: image, width: width, height: height)
            let label = "\(width)x\(height), \(target) superpixels"
            XCTAssertEqual(superpixels.segmentOfPixel.count, width * height, label)
            XCTAssertEqual(Set(superpixels.segmentOfPixel), Set(0..<superpixels.count), label)
            for (segment, pixels) in superpixels.pixelsOfSegment.enumerated() {
                let reached = Self.floodFill(from: pixels[0], width: width, height: height) { superpixels.segmentOfPixel[$0] == segment }
                XCTAssertEqual(reached, pixels.count, "\(label): segment \(segment) of \(pixels.count) pixels is not 4-connected")
            }
        }
    }

    /// The number of pixels reachable from `start` through 4-neighbours that satisfy `inside`.
    static func floodFill(from start: Int, width: Int, height: Int, inside: (Int) -> Bool) -> Int {
        var seen = Set([start]), stack = [start]
        while let p = stack.popLast() {
            let (y, x) = (p / width, p % width)
            for (ny, nx) in [(y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)]
            where ny >= 0 && ny < height && nx >= 0 && nx < width && inside(ny * width + nx) && !seen.contains(ny * width + nx) {
                seen.insert(ny * width + nx)
                stack.append(ny * width + nx)
            }
        }
        return seen.count
    }

    func testSuperpixelTargetsOutOfRangeThrow() {
        let image = [Float](repeating: 0.5, count: 16)
        XCTAssertThrowsError(try Segmentation.superpixels(0, image: image, width: 4, height: 4))
        XCTAssertThrowsError(try Segmentation.superpixels(17, image: image, width: 4, height: 4)) {
            XCTAssertTrue("\($0)".contains("4x4"), "\($0)")
        }
        XCTAssertThrowsError(try Segmentation.superpixels(4, image: Array(image.prefix(15)), width: 4, height: 4))
    }

    func testParse() throws {
        var random = SeededGenerator(seed: 42)
        let image = random.floats(28 * 28, in: 0...1)
        XCTAssertEqual(try Segmentation.parse("grid:4", image: image, width: 28, height: 28),
                       try Segmentation.grid(4, width: 28, height: 28))
        XCTAssertEqual(try Segmentation.parse("superpixels:9", image: image, width: 28, height: 28),
                       try Segmentation.superpixels(9, image: image, width: 28, height: 28))
        XCTAssertThrowsError(try Segmentation.parse("blob:3", image: image, width: 28, height: 28)) {
            XCTAssertTrue("\($0)".contains("unknown kind 'blob'"), "\($0)")
        }
        for text in ["grid:x", "grid", "grid:", "4"] {
            XCTAssertThrowsError(try Segmentation.parse(text, image: image, width: 28, height: 28)) {
                XCTAssertTrue("\($0)".contains("'\(text)' is not grid:G or superpixels:N"), "\($0)")
            }
        }
    }

    /// `pixelMap` spreads each segment's value over its pixels; `sums(ofPixelValues:)` adds a
    /// pixel map back up per segment, so the round trip multiplies each value by its size.
    func testPixelMapAndSumsRoundTrip() throws {
        let segmentation = try Segmentation.grid(3, width: 7, height: 5)
        let values = (0..<9).map { Double($0) - 3.5 }
        let map = segmentation.pixelMap(values)
        XCTAssertEqual(map.count, 35)
        for (pixel, segment) in segmentation.segmentOfPixel.enumerated() { XCTAssertEqual(map[pixel], values[segment]) }
        let sizes = segmentation.pixelsOfSegment.map(\.count)
        XCTAssertEqual(sizes.reduce(0, +), 35)
        XCTAssertEqual(segmentation.sums(ofPixelValues: map), zip(values, sizes).map { $0 * Double($1) })

        var random = SeededGenerator(seed: 43)
        let pixelValues = random.floats(35).map(Double.init)
        let sums = segmentation.sums(ofPixelValues: pixelValues)
        XCTAssertEqual(sums.reduce(0, +), pixelValues.reduce(0, +), accuracy: 1e-12)
        for (segment, pixels) in segmentation.pixelsOfSegment.enumerated() {
            XCTAssertEqual(sums[segment], pixels.reduce(0) { $0 + pixelValues[$1] }, accuracy: 1e-12)
        }
    }
}

final class SuperpixelShapeTests: XCTestCase {
    /// Regression: elongated images with few superpixels once got no seed at all and trapped.
    func testElongatedImagesWithOneSuperpixel() throws {
        var random = SeededGenerator(seed: 50)
        for (width, height) in [(28, 5), (6, 26), (24, 6), (6, 25), (1, 1), (40, 1)] {
            let segmentation = try Segmentation.superpixels(1, image: random.floats(width * height, in: 0...1), width: width, height: height)
            XCTAssertGreaterThanOrEqual(segmentation.count, 1)
            XCTAssertEqual(segmentation.segmentOfPixel.count, width * height)
        }
    }
}
