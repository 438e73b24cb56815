import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// `reduce_axis` and its backward pass (Kernels/reduce.cl, Backend/CPU/CPUBackend+Reduce.swift),
/// the `ReduceSum`/`ReduceMean` layers built on them, and `Dense` applied on the last axis of a
/// rank-3 sample (the two new pieces of the seed's functional model).
final class ReduceTests: XCTestCase {
    /// Odd sizes that are multiples of no work-group size, an axis of 1, and one large case.
    let cases: [(outer: Int, axis: Int, inner: Int)] = [(1, 1, 1), (3, 7, 5), (2, 28, 28 * 13), (5, 3, 1), (1, 29, 257)]

    func testReduceAxisAndBackwardAgreeWithReference() throws {
        var random = SeededGenerator(seed: 31)
        for (outer, axis, inner) in cases {
            for mean in [false, true] {
                let x = random.floats(outer * axis * inner, in: -2...2)
                try assertBackendsAgree("reduce \(outer)x\(axis)x\(inner) mean \(mean)", [
                    .input("x", [outer * axis * inner], x), .output("y", [outer, inner]),
                ], tolerance: 1e-6) { backend, t in try backend.reduceAxis(t["x"]!, outer: outer, axis: axis, inner: inner, mean: mean, into: t["y"]!) }
                let g = random.floats(outer * inner, in: -1...1)
                try assertBackendsAgree("reduce backward \(outer)x\(axis)x\(inner) mean \(mean)", [
                    .input("g", [outer, inner], g), .output("gx", [outer * axis * inner]),
                ], tolerance: 1e-6) { backend, t in
                    try backend.reduceAxisBackward(gradOutput: t["g"]!, outer: outer, axis: axis, inner: inner, mean: mean, into: t["gx"]!)
                }
            }
        }
    }

    /// The reference's sums against a direct Double sum; the backward pass against central
    /// differences of `sum(w * reduce(x))`.
    func testReduceAxisValuesAndGradient() throws {
        let backend = TestBackends.reference
        var random = SeededGenerator(seed: 32)
        let (outer, axis, inner) = (2, 4, 3)
        let x = random.floats(outer * axis * inner), w = random.floats(outer * inner)
        func reduce(_ x: [Float], mean: Bool) throws -> [Float] {
            let y = try backend.makeTensor(shape: [outer, inner])
            try backend.reduceAxis(try backend.upload(x, shape: [x.count]), outer: outer, axis: axis, inner: inner, mean: mean, into: y)
            return try backend.download(y)
        }
        for mean in [false, true] {
            let y = try reduce(x, mean: mean)
            for o in 0..<outer {
                for i in 0..<inner {
                    let total = (0..<axis).reduce(0.0) { $0 + Double(x[(o * axis + $1) * inner + i]) }
                    XCTAssertEqual(Double(y[o * inner + i]), mean ? total / Double(axis) : total, accuracy: 1e-6)
                }
            }
            let gx = try backend.makeTensor(shape: [x.count])
            try backend.reduceAxisBackward(gradOutput: try backend.upload(w, shape: [outer, inner]), outer: outer, axis: axis, inner: inner,
                                           mean: mean, into: gx)
            let numeric = try FiniteDifferenceTests.numericGradient(x, step: 1e-2, weights: w) { try reduce($0, mean: mean) }
            XCTAssertLessThan(relativeError(try backend.download(gx), numeric), 1e-3)
        }
    }

    func testReduceLayerShapesAndErrors() throws {
        XCTAssertEqual(try Reduce(.sum, axis: 1).outputShape(for: [28, 28, 128]), [28, 128])
        XCTAssertEqual(try Reduce(.mean, axis: -1).outputShape(for: [28, 28, 128]), [28, 28])
        XCTAssertEqual(try Reduce(.sum, axis: 3).outputShape(for: [4, 5, 6]), [4, 5])
        XCTAssertThrowsError(try Reduce(.sum, axis: 0)) { XCTAssertTrue("\($0)".contains("batch"), "\($0)") }
        XCTAssertThrowsError(try Reduce(.sum, axis: 4).outputShape(for: [4, 5, 6])) { XCTAssertTrue("\($0)".contains("axis 4"), "\($0)") }
        XCTAssertThrowsError(try Reduce(.sum, axis: 1).outputShape(for: [7])) { XCTAssertTrue("\($0)".contains("no values"), "\($0)") }
        let layer = try Reduce(.mean, axis: 2)
        XCTAssertEqual(try layer.configuration.makeLayer().configuration, layer.configuration)
    }

    /// The seed's functional model: Dense(128, relu) on 28x28x1 (the last axis), ReduceSum over
    /// axis 1, Dense(10, softmax): output (28, 10), softmax over the last axis. Forward against a
    /// direct computation; every backend agrees on predictions and on input gradients.
    func testSeedFunctionalModelForwardAndBackendsAgree() throws {
        let model = try Sequential(inputShape: [6, 5, 1], seed: 4, layers: [
            try Dense(units: 7, activation: .relu), try Reduce(.sum, axis: 1), try Dense(units: 3, activation: .softmax),
        ])
        XCTAssertEqual(model.outputShapes, [[6, 5, 7], [5, 7], [5, 3]])
        XCTAssertEqual(model.parameterCount, 1 * 7 + 7 + 7 * 3 + 3)
        var random = SeededGenerator(seed: 33)
        let x = random.floats(2 * 30, in: 0...1)
        let reference = try model.predict(x, backend: TestBackends.reference)
        XCTAssertEqual(reference.count, 2 * 15)

        // Direct: h[n, r, c, u] = relu(x w1 + b1); s[n, c, u] = sum_r h; z = s w2 + b2; softmax over classes.
        let (w1, b1, w2, b2) = (model.parameters[0][0], model.parameters[0][1], model.parameters[2][0], model.parameters[2][1])
        for n in 0..<2 {
            for c in 0..<5 {
                var s = [Double](repeating: 0, count: 7)
                for r in 0..<6 {
                    let pixel = Double(x[n * 30 + r * 5 + c])
                    for u in 0..<7 { s[u] += max(0, pixel * Double(w1[u]) + Double(b1[u])) }
                }
                let z = (0..<3).map { k in (0..<7).reduce(Double(b2[k])) { $0 + s[$1] * Double(w2[$1 * 3 + k]) } }
                let top = z.max()!, total = z.reduce(0) { $0 + exp($1 - top) }
                for k in 0..<3 { XCTAssertEqual(Double(reference[n * 15 + c * 3 + k]), exp(z[k] - top) / total, accuracy: 1e-5) }
            }
        }
        let gradient = try InferenceSession(model: model, backend: TestBackends.reference).gradients(x, targets: [4, 13])
        for backend in try TestBackends.openCLBackends() {
            XCTAssertLessThan(relativeError(try model.predict(x, backend: backend), reference), 1e-5, backend.name)
            let session = try InferenceSession(model: model, backend: backend)
            XCTAssertLessThan(relativeError(try session.gradients(x, targets: [4, 13]), gradient), 1e-4, backend.name)
        }
    }

    /// Input gradients of the seed model (softmax over the last axis, target a position of the
    /// (5, 3) output) against central differences of the reference's predictions.
    func testSeedFunctionalModelInputGradientMatchesFiniteDifferences() throws {
        let model = try Sequential(inputShape: [4, 3, 1], seed: 6, layers: [
            try Dense(units: 5, activation: .tanh), try Reduce(.mean, axis: 1), try Dense(units: 4, activation: .softmax),
        ])
        var random = SeededGenerator(seed: 34)
        let x = random.floats(12, in: 0...1)
        let target = 2 * 4 + 1   // row 2, class 1
        let session = try InferenceSession(model: model, backend: TestBackends.reference)
        let analytic = try session.gradients(x, targets: [target])
        var weights = [Float](repeating: 0, count: 12)
        weights[target] = 1
        let numeric = try FiniteDifferenceTests.numericGradient(x, step: 1e-2, weights: weights) { try session.predict($0) }
        XCTAssertLessThan(relativeError(analytic, numeric), 1e-3)
    }

    /// Training needs one class vector per sample; a (rows, classes) output is refused clearly.
    func testTrainingAMultiRowOutputIsRefused() throws {
        var model = try Sequential(inputShape: [4, 3, 1], layers: [try Dense(units: 5), try Reduce(.sum, axis: 1), try Dense(units: 4, activation: .softmax)])
        try model.compile()
        XCTAssertThrowsError(try model.fit(x: [Float](repeating: 0.5, count: 24), y: [0, 1], epochs: 1, backend: CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("outputs [3, 4] per sample"), "\(error)")
        }
    }

    /// GlobalAveragePooling2D, Reshape and a standalone Activation in one model: forward against a
    /// direct computation, backends agree on outputs and input gradients, the reference's input
    /// gradient against central differences, and training runs to a lower loss on the reference.
    func testGlobalAveragePoolingReshapeAndActivationLayers() throws {
        let model = try Sequential(inputShape: [5, 7, 2], seed: 9, layers: [
            try Conv2D(filters: 4, kernelSize: 3), ActivationLayer(.tanh), GlobalAveragePooling2D(), try Reshape([2, -1]),
            Flatten(), try Dense(units: 3), ActivationLayer(.softmax),
        ])
        XCTAssertEqual(model.outputShapes, [[3, 5, 4], [3, 5, 4], [4], [2, 2], [4], [3], [3]])
        XCTAssertTrue(model.endsInSoftmax)
        var random = SeededGenerator(seed: 35)
        let x = random.floats(3 * 70, in: 0...1)
        let reference = try model.predict(x, backend: TestBackends.reference)
        // Direct: tanh of the convolution, averaged over the 3x5 positions, then Dense and softmax.
        let (kernel, bias) = (model.parameters[0][0], model.parameters[0][1])
        let (w, b) = (model.parameters[5][0], model.parameters[5][1])
        for n in 0..<3 {
            var pooled = [Double](repeating: 0, count: 4)
            for oh in 0..<3 {
                for ow in 0..<5 {
                    for f in 0..<4 {
                        var z = Double(bias[f])
                        for kh in 0..<3 { for kw in 0..<3 { for c in 0..<2 {
                            z += Double(x[n * 70 + ((oh + kh) * 7 + ow + kw) * 2 + c]) * Double(kernel[((kh * 3 + kw) * 2 + c) * 4 + f])
                        } } }
                        pooled[f] += Foundation.tanh(z) / 15
                    }
                }
            }
            let logits = (0..<3).map { k in (0..<4).reduce(Double(b[k])) { $0 + pooled[$1] * Double(w[$1 * 3 + k]) } }
            let top = logits.max()!, total = logits.reduce(0) { $0 + exp($1 - top) }
            for k in 0..<3 { XCTAssertEqual(Double(reference[n * 3 + k]), exp(logits[k] - top) / total, accuracy: 1e-5) }
        }
        let session = try InferenceSession(model: model, backend: TestBackends.reference)
        let gradient = try session.gradients(x, targets: [0, 1, 2])
        for backend in try TestBackends.openCLBackends() {
            XCTAssertLessThan(relativeError(try model.predict(x, backend: backend), reference), 1e-5, backend.name)
            XCTAssertLessThan(relativeError(try InferenceSession(model: model, backend: backend).gradients(x, targets: [0, 1, 2]), gradient),
                              1e-4, backend.name)
        }
        let one = Array(x[0..<70])
        var weights = [Float](repeating: 0, count: 3)
        weights[2] = 1
        let numeric = try FiniteDifferenceTests.numericGradient(one, step: 1e-2, weights: weights) { try session.predict($0) }
        XCTAssertLessThan(relativeError(try session.gradients(one, targets: [2]), numeric), 1e-3)

        var trainable = model
        try trainable.compile(optimizer: .adam(AdamHyperparameters(learningRate: 0.05)), seed: 1)
        let labels: [Float] = [0, 1, 2]
        let reports = try trainable.fit(x: x, y: labels, epochs: 30, batchSize: 3, backend: TestBackends.reference)
        XCTAssertLessThan(reports.last!.loss, reports.first!.loss * 0.8, "\(reports.map(\.loss))")
        XCTAssertEqual(try Sequential.load(try trainable.safetensors(), path: "m").layers.map(\.configuration), model.layers.map(\.configuration))
    }
}
