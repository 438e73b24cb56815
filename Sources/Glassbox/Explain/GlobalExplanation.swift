/// Explanations of many images gathered into a global view (as shap's summary plots): per class,
/// the mean attribution map and the mean |value| of each segment; over all images, the segments
/// ranked by mean |value|; and every image's per-segment values with the segment's mean input
/// intensity, for beeswarm plots.
public struct GlobalExplanation: Sendable {
    public let method: String
    public let width: Int
    public let height: Int
    public let segmentCount: Int
    public let classCount: Int

    /// Per class (of the explained target): how many images, the sum of their pixel maps and of
    /// their |values|.
    public private(set) var imagesPerClass: [Int]
    private var pixelMapSums: [[Double]]
    private var absoluteValueSums: [[Double]]
    private var absoluteValueSquares: [[Double]]
    /// Every explanation's values and, for each segment, the mean input intensity over it.
    public private(set) var records: [(target: Int, values: [Double], intensities: [Double])] = []
    /// For a table: the feature names, which label the summary plot's rows in place of segment
    /// numbers; its dots are then coloured by each feature's value relative to the feature's 5th
    /// to 95th percentile over the rows (as `shap.summary_plot`), not by image intensity.
    public var featureNames: [String]?

    public init(method: String, width: Int, height: Int, segmentCount: Int, classCount: Int) {
        self.method = method; self.width = width; self.height = height
        self.segmentCount = segmentCount; self.classCount = classCount
        imagesPerClass = [Int](repeating: 0, count: classCount)
        pixelMapSums = [[Double]](repeating: [Double](repeating: 0, count: width * height), count: classCount)
        absoluteValueSums = [[Double]](repeating: [Double](repeating: 0, count: segmentCount), count: classCount)
        absoluteValueSquares = absoluteValueSums
    }

    /// Adds one image's explanation.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when its sizes differ.
    public mutating func add(_ explanation: Explanation, input: [Float], segmentation: Segmentation) throws {
        guard segmentation.count == segmentCount, input.count >= segmentation.segmentOfPixel.count else {
            throw GlassboxError.invalidArgument(operation: "global explanation",
                reason: "a segmentation of \(segmentation.count) segments does not fit \(segmentCount) segments")
        }
        try add(target: explanation.target, values: explanation.values, pixelMap: explanation.pixelMap,
                intensities: Self.segmentIntensities(input, segmentation: segmentation))
    }

    /// The mean input value over each segment's pixels (the colour of the summary plot's dots).
    public static func segmentIntensities(_ input: [Float], segmentation: Segmentation) -> [Double] {
        var sums = [Double](repeating: 0, count: segmentation.count), counts = [Double](repeating: 0, count: segmentation.count)
        for (pixel, segment) in segmentation.segmentOfPixel.enumerated() {
            sums[segment] += Double(input[pixel])
            counts[segment] += 1
        }
        return zip(sums, counts).map { $1 > 0 ? $0 / $1 : 0 }
    }

    /// Adds one image's explanation given as its parts: what a shard of a sharded run hands
    /// over (added in image order, the sums come out exactly as one process's).
    /// - Parameters:
    ///   - target: the explained class.
    ///   - values: one value per segment.
    ///   - pixelMap: one value per pixel.
    ///   - intensities: ``segmentIntensities(_:segmentation:)`` of the image.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when the sizes differ.
    public mutating func add(target: Int, values: [Double], pixelMap: [Double], intensities: [Double]) throws {
        guard values.count == segmentCount, pixelMap.count == width * height, intensities.count == segmentCount,
              (0..<classCount).contains(target) else {
            throw GlassboxError.invalidArgument(operation: "global explanation",
                reason: "an explanation with \(values.count) values, \(pixelMap.count) pixels and \(intensities.count) intensities of class \(target) "
                    + "does not fit \(segmentCount) segments, \(width)x\(height) pixels and \(classCount) classes")
        }
        imagesPerClass[target] += 1
        for p in 0..<(width * height) { pixelMapSums[target][p] += pixelMap[p] }
        for s in 0..<segmentCount {
            absoluteValueSums[target][s] += abs(values[s])
            absoluteValueSquares[target][s] += values[s] * values[s]
        }
        records.append((target, values, intensities))
    }

    /// What a segment is called in plots and text: its feature name, or `segment N`.
    public func segmentName(_ segment: Int) -> String {
        featureNames.flatMap { $0.indices.contains(segment) ? $0[segment] : nil } ?? "segment \(segment)"
    }

    /// Each record's colour value per segment in [0, 1]: image intensity as it is, or for a
    /// table the feature's value scaled between its 5th and 95th percentile over the records.
    public var colourValues: [[Double]] {
        guard featureNames != nil, !records.isEmpty else { return records.map(\.intensities) }
        var low = [Double](repeating: 0, count: segmentCount), high = low
        for s in 0..<segmentCount {
            let sorted = records.map { $0.intensities[s] }.sorted()
            low[s] = sorted[Int(Double(sorted.count - 1) * 0.05)]
            high[s] = sorted[Int((Double(sorted.count - 1) * 0.95).rounded(.up))]
        }
        return records.map { record in
            (0..<segmentCount).map { s in high[s] > low[s] ? max(0, min(1, (record.intensities[s] - low[s]) / (high[s] - low[s]))) : 0.5 }
        }
    }

    /// The mean attribution map of the images explained for `target` (zeros when there were none).
    public func meanPixelMap(ofClass target: Int) -> [Double] {
        let n = Double(max(imagesPerClass[target], 1))
        return pixelMapSums[target].map { $0 / n }
    }

    /// The mean |value| of each segment over the images explained for `target`.
    public func meanAbsoluteValues(ofClass target: Int) -> [Double] {
        let n = Double(max(imagesPerClass[target], 1))
        return absoluteValueSums[target].map { $0 / n }
    }

    /// The standard error of each segment's mean |value| over the images explained for
    /// `target`: `sd(|value|) / sqrt(n)` over those images (the spread another sample of images
    /// of the same size would give), nil below two images.
    public func standardErrors(ofClass target: Int) -> [Double]? {
        Self.standardErrors(count: imagesPerClass[target], sums: absoluteValueSums[target], squares: absoluteValueSquares[target])
    }

    /// `sqrt((sum x^2 - n mean^2) / (n - 1) / n)` per entry.
    static func standardErrors(count: Int, sums: [Double], squares: [Double]) -> [Double]? {
        guard count >= 2 else { return nil }
        let n = Double(count)
        return zip(sums, squares).map { sum, square in (max(square - sum * sum / n, 0) / (n - 1) / n).squareRoot() }
    }

    /// Every segment with its mean |value| over all images and that mean's standard error over
    /// the images (nil below two), largest mean first.
    public var ranking: [(segment: Int, meanAbsoluteValue: Double, standardError: Double?)] {
        let total = Double(max(records.count, 1))
        let sums = (0..<segmentCount).map { segment in absoluteValueSums.reduce(0) { $0 + $1[segment] } }
        let errors = Self.standardErrors(count: records.count, sums: sums,
                                         squares: (0..<segmentCount).map { segment in absoluteValueSquares.reduce(0) { $0 + $1[segment] } })
        return (0..<segmentCount).map { segment in
            (segment, sums[segment] / total, errors?[segment])
        }.sorted { $0.meanAbsoluteValue > $1.meanAbsoluteValue || ($0.meanAbsoluteValue == $1.meanAbsoluteValue && $0.segment < $1.segment) }
    }

    /// The ranking's convergence ratio: its largest standard error over the spread of its means
    /// (``Convergence/ratio(values:errors:)``); infinity below two images.
    public var rankingConvergenceRatio: Double {
        let ranking = self.ranking
        guard records.count >= 2 else { return .infinity }
        return Convergence.ratio(values: ranking.map(\.meanAbsoluteValue), errors: ranking.map { $0.standardError ?? .infinity })
    }
}
