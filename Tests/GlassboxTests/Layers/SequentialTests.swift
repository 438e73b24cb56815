import Glassbox
import GlassboxTestSupport
import XCTest

final class SequentialTests: XCTestCase {
    func testReferenceCNNShapesAndParameterCount() throws {
        let model = try Sequential.referenceCNN()
        XCTAssertEqual(model.outputShapes, [[26, 26, 32], [13, 13, 32], [5408], [128], [10]])
        XCTAssertEqual(model.parameterCounts, [320, 0, 0, 692_352, 1290])
        XCTAssertEqual(model.parameterCount, 693_962)
        XCTAssertEqual(model.layerNames, ["conv2d", "max_pooling2d", "flatten", "dense", "dense_1"])
        let summary = model.summary()
        XCTAssertTrue(summary.contains("Total params: 693,962"), summary)
        XCTAssertTrue(summary.contains("(None, 26, 26, 32)"), summary)
    }

    /// Keras's Glorot-uniform bound for the first Dense layer is sqrt(6 / (5408 + 128)) = 0.0329;
    /// biases start at zero; the same seed gives the same weights.
    func testInitialisationIsGlorotUniformAndSeeded() throws {
        let model = try Sequential.referenceCNN(seed: 7)
        let kernel = model.parameters[3][0]
        let limit = Float((6.0 / Double(5408 + 128)).squareRoot())
        XCTAssertLessThanOrEqual(kernel.map(abs).max()!, limit)
        XCTAssertGreaterThan(kernel.map(abs).max()!, limit * 0.99)
        XCTAssertEqual(Double(kernel.reduce(0, +)) / Double(kernel.count), 0, accuracy: 0.001)
        XCTAssertTrue(model.parameters[3][1].allSatisfy { $0 == 0 })
        XCTAssertEqual(model.parameters, try Sequential.referenceCNN(seed: 7).parameters)
        XCTAssertNotEqual(model.parameters, try Sequential.referenceCNN(seed: 8).parameters)
    }

    func testShapeErrorsNameTheLayer() {
        // Dense applies on the last axis, as Keras's: no longer an error on an image.
        XCTAssertEqual(try Sequential(inputShape: [28, 28, 1], layers: [try Dense(units: 3)]).outputShapes, [[28, 28, 3]])
        XCTAssertThrowsError(try Sequential(inputShape: [28, 28, 1], layers: [Flatten(), try Reduce(.sum, axis: 1)])) { error in
            XCTAssertTrue("\(error)".contains("layer 1 'reduce_sum' (ReduceSum)") && "\(error)".contains("no values per sample"), "\(error)")
        }
        XCTAssertThrowsError(try Sequential(inputShape: [2, 2, 1], layers: [try Conv2D(filters: 1, kernelSize: 3)])) { error in
            XCTAssertTrue("\(error)".contains("Conv2D"), "\(error)")
        }
        XCTAssertThrowsError(try Dense(units: 0))
        XCTAssertThrowsError(try Dropout(rate: 1))
    }

    func testConfigurationRoundTrip() throws {
        let model = try Sequential(inputShape: [12, 10, 3], layers: [
            try Conv2D(filters: 4, kernelSize: (3, 2), strides: (2, 1), padding: .same, activation: .tanh),
            try MaxPool2D(poolSize: (2, 2), strides: (1, 1)), Flatten(), try Dropout(rate: 0.25),
            try Dense(units: 5, activation: .sigmoid), try Dense(units: 3, activation: .softmax),
        ])
        let rebuilt = try model.layers.map { try $0.configuration.makeLayer() }
        XCTAssertEqual(rebuilt.map(\.configuration), model.layers.map(\.configuration))
        XCTAssertEqual(try Sequential(inputShape: model.inputShape, layers: rebuilt).outputShapes, model.outputShapes)
    }

    /// Every layer type reads back its own configuration, under its own type name, and is listed
    /// once in ``LayerTypes/all`` (the one place a new layer type is registered).
    func testEveryLayerTypeReadsItsOwnConfiguration() throws {
        let samples: [any Layer] = [
            try Conv2D(filters: 3, kernelSize: (2, 3), strides: (2, 1), padding: .same, activation: .leakyRelu), try MaxPool2D(3, stride: 2, padding: .same),
            try AveragePooling2D(poolSize: (2, 3), strides: (1, 2)), GlobalAveragePooling2D(), Flatten(), try Reshape([4, -1]),
            try Dense(units: 5, activation: .tanh), try Dropout(rate: 0.25), try BatchNormalization(momentum: 0.9, epsilon: 0.01),
            ActivationLayer(.sigmoid), try Reduce(.mean, axis: 2), Add(), try Concatenate(axis: 1),
        ]
        XCTAssertEqual(Set(samples.map(\.typeName)).count, LayerTypes.all.count, "one sample per registered type")
        for layer in samples {
            let read = try layer.configuration.makeLayer()
            XCTAssertEqual(read.configuration, layer.configuration, layer.typeName)
            XCTAssertEqual(String(describing: type(of: read)), String(describing: type(of: layer)))
        }
        XCTAssertThrowsError(try LayerConfiguration(type: "Transformer").makeLayer()) { XCTAssertTrue("\($0)".contains("unknown layer type 'Transformer'"), "\($0)") }
    }
}
