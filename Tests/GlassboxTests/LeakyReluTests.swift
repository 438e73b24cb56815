import Glassbox
import GlassboxTestSupport
import XCTest

/// Leaky ReLU (`leaky_relu_forward`/`_backward` in Kernels/elementwise.cl, the CPU twins, the
/// `leaky_relu` activation of layers and the DeepLIFT rescale rule's fallback for it).
final class LeakyReluTests: XCTestCase {
    func testLeakyReluAgreesWithReferenceAndPassesNaN() throws {
        var random = SeededGenerator(seed: 101)
        for count in [1, 17, 1_000] {
            var x = random.floats(count, in: -3...3)
            x[count / 2] = .nan
            let result = try assertBackendsAgree("leaky relu \(count)", [.input("x", [count], x), .output("y", [count])],
                                                 tolerance: 0, expectNaN: true) { backend, t in
                try backend.leakyRelu(t["x"]!, slope: 0.2, into: t["y"]!)
            }
            for (input, output) in zip(x, result["y"]!) where !input.isNaN { XCTAssertEqual(output, input > 0 ? input : 0.2 * input) }
            XCTAssertTrue(result["y"]![count / 2].isNaN, "NaN is not hidden")
            let y = x.map { $0 > 0 ? $0 : 0.2 * $0 }.map { $0.isNaN ? 1 : $0 }, g = random.floats(count)
            try assertBackendsAgree("leaky relu backward \(count)", [.input("g", [count], g), .input("y", [count], y), .output("gx", [count])],
                                    tolerance: 0) { backend, t in
                try backend.leakyReluBackward(gradOutput: t["g"]!, output: t["y"]!, slope: 0.2, into: t["gx"]!)
            }
        }
    }

    func testLeakyReluGradientMatchesFiniteDifferences() throws {
        let backend = TestBackends.reference
        var random = SeededGenerator(seed: 102)
        // Values at least 0.025 from the kink, so a step of 0.01 stays on one side.
        let x = (0..<40).map { Float($0 - 20) * 0.05 + 0.025 }.shuffled(using: &random), w = random.floats(40)
        func forward(_ input: [Float]) throws -> [Float] {
            let y = try backend.makeTensor(shape: [40])
            try backend.leakyRelu(try backend.upload(input, shape: [40]), slope: 0.2, into: y)
            return try backend.download(y)
        }
        let gx = try backend.makeTensor(shape: [40])
        try backend.leakyReluBackward(gradOutput: try backend.upload(w, shape: [40]), output: try backend.upload(try forward(x), shape: [40]),
                                      slope: 0.2, into: gx)
        let numeric = try FiniteDifferenceTests.numericGradient(x, step: 1e-2, weights: w, forward)
        XCTAssertLessThan(relativeError(try backend.download(gx), numeric), 1e-3)
    }

    /// As a layer's activation and as a layer read from Keras's JSON: a model with both trains on
    /// every backend alike, and DeepSHAP's values on it still sum to the output's change.
    func testLeakyReluInModelsAndDeepShap() throws {
        let model = try Sequential(inputShape: [6, 6, 1], seed: 2, layers: [
            try Conv2D(filters: 4, kernelSize: 3, activation: .leakyRelu), Flatten(), try Dense(units: 5), ActivationLayer(.leakyRelu),
            try Dense(units: 3, activation: .softmax),
        ])
        XCTAssertEqual(try model.layers[0].configuration.makeLayer().configuration.activation, "leaky_relu")
        var random = SeededGenerator(seed: 103)
        let input = random.floats(36, in: -1...1), backgrounds = (0..<4).map { _ in random.floats(36, in: -1...1) }
        _ = try deepShapOnEveryBackend(model, input: input, backgrounds: backgrounds, grid: 2, width: 6, height: 6, target: 1)
        let json = Data(#"""
        {"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "in"}},
         {"class_name": "LeakyReLU", "config": {"name": "l", "negative_slope": 0.2}}, {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "leaky_relu"}}]}}
        """#.utf8)
        let (shape, nodes) = try KerasArchitecture.parse(json, path: "leaky.json")
        XCTAssertEqual(try Sequential(inputShape: shape, nodes: nodes).layers.map { $0.configuration.activation }, ["leaky_relu", "leaky_relu"])
        let other = Data(String(decoding: json, as: UTF8.self).replacingOccurrences(of: "\"negative_slope\": 0.2", with: "\"negative_slope\": 0.3").utf8)
        XCTAssertThrowsError(try KerasArchitecture.parse(other, path: "leaky.json")) {
            XCTAssertTrue("\($0)".contains("layer 'l' (LeakyReLU)") && "\($0)".contains("negative_slope=0.3"), "\($0)")
        }
    }
}
