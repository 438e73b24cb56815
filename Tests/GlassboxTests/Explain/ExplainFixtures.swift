import Glassbox
import GlassboxTestSupport

/// Small models and inputs for explainer tests.
enum ExplainFixtures {
    /// A linear model on `side x side x 1` images: Flatten then Dense(`classes`) without
    /// activation, with seeded random weights. Its output for class t is `sum_p W[p, t] x[p] + b[t]`,
    /// so with a zero baseline the Shapley value of a segment is `sum over its pixels of W[p, t] x[p]`.
    static func linearModel(side: Int = 8, classes: Int = 3, seed: UInt64 = 1) throws -> Sequential {
        var model = try Sequential(inputShape: [side, side, 1], seed: seed, layers: [Flatten(), try Dense(units: classes)])
        var random = SeededGenerator(seed: seed &+ 100)
        let kernel = random.floats(side * side * classes)
        try model.setParameters([[], [kernel, random.floats(classes)]])
        return model
    }

    /// The closed-form Shapley values of `linearModel` for a zero baseline.
    static func linearShapley(_ model: Sequential, input: [Float], segmentation: Segmentation, target: Int) -> [Double] {
        let kernel = model.parameters[1][0], classes = model.outputCount
        var values = [Double](repeating: 0, count: segmentation.count)
        for (pixel, segment) in segmentation.segmentOfPixel.enumerated() {
            values[segment] += Double(kernel[pixel * classes + target]) * Double(input[pixel])
        }
        return values
    }

    /// A small non-linear CNN on 8x8 images with seeded weights (conv, relu, pool, dense, softmax).
    static func smallCNN(seed: UInt64 = 2) throws -> Sequential {
        try Sequential(inputShape: [8, 8, 1], seed: seed, layers: [
            try Conv2D(filters: 4, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(),
            try Dense(units: 8, activation: .tanh), try Dense(units: 3, activation: .softmax),
        ])
    }

    static func image(side: Int = 8, seed: UInt64 = 3) -> [Float] {
        var random = SeededGenerator(seed: seed)
        return random.floats(side * side, in: 0...1)
    }

    /// A request on `backend` with a zero baseline.
    static func request(_ model: Sequential, backend: any Backend, input: [Float], segmentation: Segmentation, target: Int,
                        samples: Int? = nil, seed: UInt64 = 0) throws -> ExplanationRequest {
        try ExplanationRequest(session: try InferenceSession(model: model, backend: backend), input: input,
                               baseline: [Float](repeating: 0, count: input.count), segmentation: segmentation, target: target,
                               samples: samples, seed: seed)
    }

    /// Shapley values by their permutation definition, independently of the library: the mean
    /// over all M! orders of each player's marginal contribution, with `value(coalition mask)`.
    static func bruteForceShapley(players m: Int, value: (UInt64) throws -> Double) rethrows -> [Double] {
        var totals = [Double](repeating: 0, count: m)
        var count = 0.0
        var order = Array(0..<m)
        func permute(_ k: Int) throws {
            if k == m {
                var mask: UInt64 = 0
                var previous = try value(mask)
                for player in order {
                    mask |= 1 << UInt64(player)
                    let next = try value(mask)
                    totals[player] += next - previous
                    previous = next
                }
                count += 1
                return
            }
            for i in k..<m {
                order.swapAt(k, i)
                try permute(k + 1)
                order.swapAt(k, i)
            }
        }
        try permute(0)
        return totals.map { $0 / count }
    }
}
