import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

final class BaselineTests: XCTestCase {
    func testZeroIsBlackOfTheInputSize() throws {
        var random = SeededGenerator(seed: 50)
        let input = random.floats(12, in: 0...1)
        XCTAssertEqual(try Baseline.zero.values(for: input, width: 4, height: 3), [Float](repeating: 0, count: 12))
    }

    func testImageIsReturnedAsGivenAndMustMatchTheInputSize() throws {
        let input: [Float] = [0.1, 0.2, 0.3, 0.4]
        XCTAssertEqual(try Baseline.image([1, 0.5, 0.25, 0]).values(for: input, width: 2, height: 2), [1, 0.5, 0.25, 0])
        XCTAssertThrowsError(try Baseline.image([1, 0.5, 0.25]).values(for: input, width: 2, height: 2)) { error in
            XCTAssertTrue("\(error)".contains("baseline image has 3 values, the input 4"), "\(error)")
        }
    }

    /// Weights are normalized, so a constant image stays constant; edge pixels are repeated, so
    /// the border does not darken either. Tolerance: float rounding of a 13-tap sum.
    func testBlurKeepsAConstantImageConstant() throws {
        let input = [Float](repeating: 0.6, count: 9 * 7)
        let blurred = try Baseline.blur(sigma: 1.5).values(for: input, width: 9, height: 7)
        XCTAssertEqual(blurred.count, input.count)
        for value in blurred { XCTAssertEqual(value, 0.6, accuracy: 1e-6) }
    }

    /// A single bright pixel far from the border (radius 3 sigma = 3 fits): the total is kept, the
    /// spread is symmetric under reflections and the swap of axes, falls off with distance, and
    /// the centre keeps `(1 / sum_k exp(-k^2 / 2))^2` of the light, k = -3...3 (the separable,
    /// normalized Gaussian of sigma 1).
    func testBlurSpreadsABrightPixelSymmetricallyAndKeepsItsTotal() throws {
        let side = 15, centre = 7
        var input = [Float](repeating: 0, count: side * side)
        input[centre * side + centre] = 1
        let blurred = try Baseline.blur(sigma: 1).values(for: input, width: side, height: side)
        func at(_ dy: Int, _ dx: Int) -> Float { blurred[(centre + dy) * side + centre + dx] }
        XCTAssertEqual(blurred.reduce(0, +), 1, accuracy: 1e-5)
        let total = (-3...3).reduce(0.0) { $0 + exp(-Double($1 * $1) / 2) }
        XCTAssertEqual(Double(at(0, 0)), 1 / (total * total), accuracy: 1e-6)
        for dy in -3...3 {
            for dx in -3...3 {
                let value = at(dy, dx)
                XCTAssertGreaterThan(value, 0)
                for mirror in [at(-dy, dx), at(dy, -dx), at(-dy, -dx), at(dx, dy)] { XCTAssertEqual(mirror, value, accuracy: 1e-7) }
            }
        }
        XCTAssertGreaterThan(at(0, 0), at(0, 1))
        XCTAssertGreaterThan(at(0, 1), at(1, 1))
        XCTAssertGreaterThan(at(1, 1), at(0, 3))
        XCTAssertEqual(at(0, 4), 0, "beyond the kernel's radius of 3 sigma")
    }

    /// A horizontal ramp on a non-square image: blurring down the columns leaves it alone, and
    /// along the rows a symmetric kernel keeps a linear ramp where no edge is within reach, so the
    /// axes cannot have been swapped.
    func testBlurRespectsWidthAndHeight() throws {
        let (width, height) = (11, 4)
        let input = (0..<(width * height)).map { Float($0 % width) / 10 }
        let blurred = try Baseline.blur(sigma: 1).values(for: input, width: width, height: height)
        for y in 0..<height {
            for x in 3..<(width - 3) { XCTAssertEqual(blurred[y * width + x], input[y * width + x], accuracy: 1e-6, "(\(x), \(y))") }
            XCTAssertGreaterThan(blurred[y * width], input[y * width], "the left edge repeats 0 but sees brighter pixels")
        }
    }

    func testBlurNeedsAPositiveSigma() {
        let input = [Float](repeating: 0.5, count: 4)
        for sigma in [0, -1.0] {
            XCTAssertThrowsError(try Baseline.blur(sigma: sigma).values(for: input, width: 2, height: 2)) { error in
                XCTAssertTrue("\(error)".contains("sigma") && "\(error)".contains("must be positive"), "\(error)")
            }
        }
    }

    func testMeanOfTwoImages() {
        XCTAssertEqual(Baseline.mean(of: [0, 1, 2, 3, 2, 3, 4, 9], count: 2), [1, 2, 3, 6])
        XCTAssertEqual(Baseline.mean(of: [0.25, 0.5], count: 1), [0.25, 0.5])
    }

    /// An RGB image blurs channel by channel: each channel of the result is the blur of that
    /// channel alone.
    func testBlurOfAnRGBImageIsTheBlurOfEachChannel() throws {
        var random = SeededGenerator(seed: 51)
        let (width, height) = (7, 5)
        let rgb = random.floats(width * height * 3, in: 0...1)
        let blurred = try Baseline.blur(sigma: 1.5).values(for: rgb, width: width, height: height)
        XCTAssertEqual(blurred.count, rgb.count)
        for c in 0..<3 {
            let channel = stride(from: c, to: rgb.count, by: 3).map { rgb[$0] }
            let alone = try Baseline.blur(sigma: 1.5).values(for: channel, width: width, height: height)
            XCTAssertEqual(stride(from: c, to: blurred.count, by: 3).map { blurred[$0] }, alone)
        }
    }
}
