import Glassbox
import GlassboxTestSupport
import XCTest

/// Every backward op of the CPU reference against central finite differences: for a probe
/// `L(x) = sum_i w_i f(x)_i` with random weights w (accumulated in Double), the analytic gradient
/// `dL/dx` from the backward op must match `(L(x + h e_j) - L(x - h e_j)) / 2h` for every j.
final class FiniteDifferenceTests: XCTestCase {
    let backend = TestBackends.reference
    /// The forward outputs are float32, so a difference quotient carries about 1e-7 |L| / h of
    /// rounding; with the steps below that stays under this bound.
    let tolerance = 1e-3

    /// Numeric gradient of `sum(weights * f(x))` by central differences in Double.
    func numericGradient(_ x: [Float], step h: Float, weights: [Float], _ f: ([Float]) throws -> [Float]) rethrows -> [Float] {
        try Self.numericGradient(x, step: h, weights: weights, f)
    }

    static func numericGradient(_ x: [Float], step h: Float, weights: [Float], _ f: ([Float]) throws -> [Float]) rethrows -> [Float] {
        func probe(_ input: [Float]) throws -> Double {
            zip(try f(input), weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var gradient = [Float](repeating: 0, count: x.count)
        for j in 0..<x.count {
            var plus = x, minus = x
            plus[j] += h
            minus[j] -= h
            let stepTaken = Double(plus[j]) - Double(minus[j])   // the step float32 actually took
            gradient[j] = Float((try probe(plus) - (try probe(minus))) / stepTaken)
        }
        return gradient
    }

    /// Distinct values 0.05 apart in random order: a step of 0.01 never reorders them, so max
    /// pooling and ReLU stay on one linear piece.
    func separatedValues(_ count: Int, _ random: inout SeededGenerator) -> [Float] {
        (0..<count).map { Float($0 - count / 2) * 0.05 + 0.025 }.shuffled(using: &random)
    }

    func testGEMMGradients() throws {
        var random = SeededGenerator(seed: 20)
        let (m, n, k) = (3, 5, 4)
        let a = random.floats(m * k), b = random.floats(k * n), w = random.floats(m * n)
        func product(_ a: [Float], _ b: [Float]) throws -> [Float] {
            let c = try backend.makeTensor(shape: [m, n])
            try backend.gemm(try backend.upload(a, shape: [m, k]), try backend.upload(b, shape: [k, n]), into: c)
            return try backend.download(c)
        }
        // dA = dC B^T and dB = A^T dC: the two GEMMs a Dense layer's backward pass runs.
        let dc = try backend.upload(w, shape: [m, n])
        let da = try backend.makeTensor(shape: [m, k]), db = try backend.makeTensor(shape: [k, n])
        try backend.gemm(dc, try backend.upload(b, shape: [k, n]), into: da, transposeB: true)
        try backend.gemm(try backend.upload(a, shape: [m, k]), dc, into: db, transposeA: true)
        XCTAssertLessThan(relativeError(try backend.download(da), try numericGradient(a, step: 1e-2, weights: w) { try product($0, b) }), tolerance)
        XCTAssertLessThan(relativeError(try backend.download(db), try numericGradient(b, step: 1e-2, weights: w) { try product(a, $0) }), tolerance)
    }

    func testReLUGradient() throws {
        var random = SeededGenerator(seed: 21)
        let x = separatedValues(40, &random), w = random.floats(40)
        let gx = try backend.makeTensor(shape: [40])
        try backend.reluBackward(gradOutput: try backend.upload(w, shape: [40]), input: try backend.upload(x, shape: [40]), into: gx)
        let numeric = try numericGradient(x, step: 1e-2, weights: w) { input in
            let y = try backend.makeTensor(shape: [40])
            try backend.relu(try backend.upload(input, shape: [40]), into: y)
            return try backend.download(y)
        }
        XCTAssertLessThan(relativeError(try backend.download(gx), numeric), tolerance)
    }

    func testSigmoidAndTanhGradients() throws {
        var random = SeededGenerator(seed: 26)
        let x = random.floats(30, in: -3...3), w = random.floats(30)
        for (name, forward, backward) in [
            ("sigmoid", { (x: Tensor, y: Tensor) in try self.backend.sigmoid(x, into: y) },
             { (g: Tensor, y: Tensor, gx: Tensor) in try self.backend.sigmoidBackward(gradOutput: g, output: y, into: gx) }),
            ("tanh", { (x: Tensor, y: Tensor) in try self.backend.tanh(x, into: y) },
             { (g: Tensor, y: Tensor, gx: Tensor) in try self.backend.tanhBackward(gradOutput: g, output: y, into: gx) }),
        ] {
            func f(_ input: [Float]) throws -> [Float] {
                let y = try backend.makeTensor(shape: [30])
                try forward(try backend.upload(input, shape: [30]), y)
                return try backend.download(y)
            }
            let gx = try backend.makeTensor(shape: [30])
            try backward(try backend.upload(w, shape: [30]), try backend.upload(try f(x), shape: [30]), gx)
            XCTAssertLessThan(relativeError(try backend.download(gx), try numericGradient(x, step: 1e-3, weights: w, f)), tolerance, name)
        }
    }

    /// Dropout is linear in x for a fixed mask: its backward is itself with the same seed.
    func testDropoutGradient() throws {
        var random = SeededGenerator(seed: 27)
        let x = random.floats(50), w = random.floats(50)
        func f(_ input: [Float]) throws -> [Float] {
            let y = try backend.makeTensor(shape: [50])
            try backend.dropout(try backend.upload(input, shape: [50]), into: y, rate: 0.3, seed: 99)
            return try backend.download(y)
        }
        let gx = try backend.makeTensor(shape: [50])
        try backend.dropout(try backend.upload(w, shape: [50]), into: gx, rate: 0.3, seed: 99)
        XCTAssertLessThan(relativeError(try backend.download(gx), try numericGradient(x, step: 1e-2, weights: w, f)), tolerance)
    }

    func testConv2DGradients() throws {
        var random = SeededGenerator(seed: 22)
        for padding in Padding.allCases {
            for stride in [1, 2] {
                let g = try Conv2DGeometry(inputShape: [2, 6, 5, 3], kernelShape: [3, 2, 3, 4],
                                           strideHeight: stride, strideWidth: stride, padding: padding)
                let x = random.floats(g.inputShape.elementCount), k = random.floats(g.kernelShape.elementCount)
                let bias = random.floats(4), w = random.floats(g.outputShape.elementCount)
                func forward(_ x: [Float], _ k: [Float], _ bias: [Float]) throws -> [Float] {
                    let y = try backend.makeTensor(shape: g.outputShape)
                    try backend.conv2dForward(input: try backend.upload(x, shape: g.inputShape), kernel: try backend.upload(k, shape: g.kernelShape),
                                              bias: try backend.upload(bias, shape: [4]), geometry: g, into: y)
                    return try backend.download(y)
                }
                let gy = try backend.upload(w, shape: g.outputShape)
                let gx = try backend.makeTensor(shape: g.inputShape)
                let gk = try backend.makeTensor(shape: g.kernelShape), gb = try backend.makeTensor(shape: [4])
                try backend.conv2dBackwardInput(gradOutput: gy, kernel: try backend.upload(k, shape: g.kernelShape), geometry: g, into: gx)
                try backend.conv2dBackwardKernel(input: try backend.upload(x, shape: g.inputShape), gradOutput: gy, geometry: g,
                                                 kernelGradient: gk, biasGradient: gb)
                let label = "\(padding) stride \(stride)"
                XCTAssertLessThan(relativeError(try backend.download(gx), try numericGradient(x, step: 1e-2, weights: w) { try forward($0, k, bias) }),
                                  tolerance, "input gradient, \(label)")
                XCTAssertLessThan(relativeError(try backend.download(gk), try numericGradient(k, step: 1e-2, weights: w) { try forward(x, $0, bias) }),
                                  tolerance, "kernel gradient, \(label)")
                XCTAssertLessThan(relativeError(try backend.download(gb), try numericGradient(bias, step: 1e-2, weights: w) { try forward(x, k, $0) }),
                                  tolerance, "bias gradient, \(label)")
            }
        }
    }

    func testMaxPoolGradient() throws {
        var random = SeededGenerator(seed: 23)
        for (pool, stride) in [(2, 2), (3, 2)] {
            let g = try Pool2DGeometry(inputShape: [2, 7, 6, 3], poolHeight: pool, poolWidth: pool, strideHeight: stride, strideWidth: stride)
            let x = separatedValues(g.inputShape.elementCount, &random), w = random.floats(g.outputShape.elementCount)
            let gx = try backend.makeTensor(shape: g.inputShape)
            try backend.maxPool2dBackward(input: try backend.upload(x, shape: g.inputShape), gradOutput: try backend.upload(w, shape: g.outputShape),
                                          geometry: g, into: gx)
            let numeric = try numericGradient(x, step: 1e-2, weights: w) { input in
                let y = try backend.makeTensor(shape: g.outputShape)
                try backend.maxPool2dForward(input: try backend.upload(input, shape: g.inputShape), geometry: g, into: y)
                return try backend.download(y)
            }
            XCTAssertLessThan(relativeError(try backend.download(gx), numeric), tolerance, "pool \(pool) stride \(stride)")
        }
    }

    /// `maxpool(relu(z))`: the pooling's backward pass through the relu, given the relu's
    /// outputs, is the gradient of z (half of the values negative). This checks the reference's
    /// composition; `PoolTests` checks OpenCL's one-launch form against it.
    func testMaxPoolThroughReluGradient() throws {
        var random = SeededGenerator(seed: 24)
        for (pool, stride) in [(2, 2), (3, 2)] {
            let g = try Pool2DGeometry(inputShape: [2, 7, 6, 3], poolHeight: pool, poolWidth: pool, strideHeight: stride, strideWidth: stride)
            let z = separatedValues(g.inputShape.elementCount, &random), w = random.floats(g.outputShape.elementCount)
            func relu(_ z: [Float]) throws -> Tensor { try backend.upload(z.map { max($0, 0) }, shape: g.inputShape) }
            let gz = try backend.makeTensor(shape: g.inputShape)
            try backend.maxPool2dReluBackward(input: try relu(z), gradOutput: try backend.upload(w, shape: g.outputShape), geometry: g, into: gz)
            let numeric = try numericGradient(z, step: 1e-2, weights: w) { input in
                let y = try backend.makeTensor(shape: g.outputShape)
                try backend.maxPool2dForward(input: try relu(input), geometry: g, into: y)
                return try backend.download(y)
            }
            XCTAssertLessThan(relativeError(try backend.download(gz), numeric), tolerance, "pool \(pool) stride \(stride)")
        }
    }

    func testSoftmaxGradient() throws {
        var random = SeededGenerator(seed: 24)
        let z = random.floats(3 * 5, in: -3...3), w = random.floats(15)
        func probabilities(_ z: [Float]) throws -> [Float] {
            let p = try backend.makeTensor(shape: [3, 5])
            try backend.softmax(try backend.upload(z, shape: [3, 5]), into: p)
            return try backend.download(p)
        }
        let gz = try backend.makeTensor(shape: [3, 5])
        try backend.softmaxBackward(probabilities: try backend.upload(try probabilities(z), shape: [3, 5]),
                                    gradOutput: try backend.upload(w, shape: [3, 5]), into: gz)
        XCTAssertLessThan(relativeError(try backend.download(gz), try numericGradient(z, step: 1e-3, weights: w, probabilities)), tolerance)
    }

    func testCrossEntropyGradient() throws {
        var random = SeededGenerator(seed: 25)
        let rows = 4, classes = 6
        let z = random.floats(rows * classes, in: -3...3)
        let labels = try backend.upload(random.labels(rows, classes: classes), shape: [rows])
        let scale = 1 / Float(rows)
        func meanLoss(_ z: [Float]) throws -> [Float] {
            let losses = try backend.makeTensor(shape: [rows])
            try backend.softmaxCrossEntropy(logits: try backend.upload(z, shape: [rows, classes]), labels: labels, losses: losses,
                                            gradLogits: nil, scale: scale)
            return try backend.download(losses)
        }
        let losses = try backend.makeTensor(shape: [rows]), gz = try backend.makeTensor(shape: [rows, classes])
        try backend.softmaxCrossEntropy(logits: try backend.upload(z, shape: [rows, classes]), labels: labels, losses: losses,
                                        gradLogits: gz, scale: scale)
        let numeric = try numericGradient(z, step: 1e-3, weights: [Float](repeating: scale, count: rows), meanLoss)
        XCTAssertLessThan(relativeError(try backend.download(gz), numeric), tolerance)
    }
}
