import Foundation

/// The quartile bins of each feature of a table, as `lime`'s `QuartileDiscretizer` makes them
/// for `LimeTabularExplainer(discretize_continuous=True)`: per feature, the 25th, 50th and 75th
/// percentiles of the training rows (numpy's linear interpolation), repeated edges dropped; bin
/// `b` of a value is the number of edges below it (numpy's `searchsorted`, left side), so a
/// value equal to an edge falls in the lower bin. Each bin keeps the minimum, maximum, mean and
/// population standard deviation (plus 1e-11) of the training values in it, which LIME's
/// sampling draws from, and the share of training rows in it.
public struct QuartileDiscretizer: Sendable {
    /// The bin edges of each feature (1 to 3, increasing).
    public let edges: [[Double]]
    /// Per feature and bin: the lower bound (the training minimum for the first bin).
    public let lower: [[Double]]
    /// Per feature and bin: the upper bound (the training maximum for the last bin).
    public let upper: [[Double]]
    /// Per feature and bin: the mean of the training values in the bin (0 for an empty bin).
    public let means: [[Double]]
    /// Per feature and bin: their standard deviation plus 1e-11.
    public let deviations: [[Double]]
    /// Per feature and bin: the share of training rows in the bin.
    public let frequencies: [[Double]]

    /// - Parameters:
    ///   - training: `count * featureCount` values, row after row.
    ///   - featureCount: values per row.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for no rows or a size that
    ///   is not whole rows.
    public init(training: [Float], featureCount: Int) throws {
        guard featureCount >= 1, !training.isEmpty, training.count % featureCount == 0 else {
            throw GlassboxError.invalidArgument(operation: "lime-tabular",
                reason: "\(training.count) training values are not whole rows of \(featureCount) features")
        }
        let n = training.count / featureCount
        var edges: [[Double]] = [], lower: [[Double]] = [], upper: [[Double]] = []
        var means: [[Double]] = [], deviations: [[Double]] = [], frequencies: [[Double]] = []
        for f in 0..<featureCount {
            let column = (0..<n).map { Double(training[$0 * featureCount + f]) }
            let sorted = column.sorted()
            let quartiles = [0.25, 0.5, 0.75].map { Self.percentile(sorted, $0) }
            let cut = Array(Set(quartiles)).sorted()
            edges.append(cut)
            lower.append([sorted.first!] + cut)
            upper.append(cut + [sorted.last!])
            var sum = [Double](repeating: 0, count: cut.count + 1), count = sum, square = sum
            for value in column { let b = Self.bin(value, cut); sum[b] += value; count[b] += 1 }
            let mean = zip(sum, count).map { $1 > 0 ? $0 / $1 : 0 }
            for value in column { let b = Self.bin(value, cut); square[b] += (value - mean[b]) * (value - mean[b]) }
            means.append(mean)
            deviations.append(zip(square, count).map { ($1 > 0 ? ($0 / $1).squareRoot() : 0) + 1e-11 })
            frequencies.append(count.map { $0 / Double(n) })
        }
        self.edges = edges; self.lower = lower; self.upper = upper
        self.means = means; self.deviations = deviations; self.frequencies = frequencies
    }

    /// The number of features.
    public var featureCount: Int { edges.count }

    /// The bin of `value` for feature `feature`.
    public func bin(_ value: Double, feature: Int) -> Int { Self.bin(value, edges[feature]) }

    /// How lime names a bin: `name <= e0`, `e0 < name <= e1`, ..., `name > e_last`, edges with
    /// two decimals, after `toRaw` (the inverse of the model's standardisation) maps them back.
    public func rule(feature: Int, bin: Int, name: String, toRaw: (Double) -> Double = { $0 }) -> String {
        let cut = edges[feature].map { String(format: "%.2f", toRaw($0)) }
        if bin == 0 { return "\(name) <= \(cut[0])" }
        if bin == cut.count { return "\(name) > \(cut[cut.count - 1])" }
        return "\(cut[bin - 1]) < \(name) <= \(cut[bin])"
    }

    static func bin(_ value: Double, _ edges: [Double]) -> Int {
        var b = 0
        while b < edges.count && edges[b] < value { b += 1 }
        return b
    }

    /// numpy's default percentile of sorted values: linear interpolation at `(n - 1) q`.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = Double(sorted.count - 1) * q
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
