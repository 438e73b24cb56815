import Foundation
@testable import Glassbox
import XCTest

/// LIME tabular's draws inside a quartile bin: a normal truncated to the bin.
final class TruncatedNormalTests: XCTestCase {
    /// Accurate through the lower tail (where draws are made: a bin right of the mean is reflected)
    /// and up to z = 6, past which 1 - Phi(z) is below Double's resolution near 1.
    func testQuantileInvertsTheCDF() {
        for z in stride(from: -8.0, through: 6.0, by: 0.25) {
            XCTAssertEqual(TruncatedNormal.quantile(TruncatedNormal.cdf(z)), z, accuracy: 1e-7 * max(1, abs(z)), "z \(z)")
        }
        XCTAssertEqual(TruncatedNormal.cdf(1.959963984540054), 0.975, accuracy: 1e-12)
    }

    /// Draws stay in the bounds and match the truncated normal's mean and variance (Johnson, Kotz
    /// & Balakrishnan, "Continuous Univariate Distributions" vol. 1, section 10.1), including a
    /// bin far in the tail, where a naive inverse CDF loses all precision.
    func testDrawsFollowTheTruncatedNormal() {
        var random = SeededGenerator(seed: 5)
        func pdf(_ z: Double) -> Double { exp(-z * z / 2) / (2 * Double.pi).squareRoot() }
        for (mean, sd, low, high) in [(0.0, 1.0, 0.0, 10.0), (5.0, 2.0, 1.0, 4.0), (0.0, 1.0, 6.0, 7.0), (-3.0, 0.5, -3.2, 9.0)] {
            let n = 40_000
            let draws = (0..<n).map { _ in TruncatedNormal.draw(mean: mean, deviation: sd, lower: low, upper: high, using: &random) }
            XCTAssertTrue(draws.allSatisfy { $0 >= low && $0 <= high })
            let a = (low - mean) / sd, b = (high - mean) / sd
            let z = TruncatedNormal.cdf(b) - TruncatedNormal.cdf(a)
            let expectedMean = mean + sd * (pdf(a) - pdf(b)) / z
            let expectedVariance = sd * sd * (1 + (a * pdf(a) - b * pdf(b)) / z - pow((pdf(a) - pdf(b)) / z, 2))
            let sampleMean = draws.reduce(0, +) / Double(n)
            let sampleVariance = draws.map { ($0 - sampleMean) * ($0 - sampleMean) }.reduce(0, +) / Double(n - 1)
            XCTAssertEqual(sampleMean, expectedMean, accuracy: 5 * (expectedVariance / Double(n)).squareRoot(), "\((mean, sd, low, high))")
            XCTAssertEqual(sampleVariance, expectedVariance, accuracy: 0.05 * expectedVariance, "\((mean, sd, low, high))")
        }
        // A bin of width zero, or a deviation of zero, gives its lower bound.
        XCTAssertEqual(TruncatedNormal.draw(mean: 1, deviation: 1, lower: 2, upper: 2, using: &random), 2)
    }
}
