import Glassbox
import GlassboxTestSupport
import XCTest

final class TrainingTests: XCTestCase {
    /// A learnable toy problem: 12x12 images whose class is the quadrant holding a bright blob.
    static func blobs(count: Int, seed: UInt64) -> (x: [Float], y: [Float]) {
        var random = SeededGenerator(seed: seed)
        var x = [Float](), y = [Float]()
        for _ in 0..<count {
            let label = Int.random(in: 0..<4, using: &random)
            var image = random.floats(144, in: 0...0.3)
            let top = (label / 2) * 6 + Int.random(in: 0...3, using: &random)
            let left = (label % 2) * 6 + Int.random(in: 0...3, using: &random)
            for r in top..<(top + 2) { for c in left..<(left + 2) { image[r * 12 + c] = 1 } }
            x += image
            y.append(Float(label))
        }
        return (x, y)
    }

    static func smallCNN(seed: UInt64, dropout: Bool = false, filters: Int = 6) throws -> Sequential {
        var layers: [any Layer] = [try Conv2D(filters: filters, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten()]
        if dropout { layers.append(try Dropout(rate: 0.2)) }
        layers += [try Dense(units: 16, activation: .relu), try Dense(units: 4, activation: .softmax)]
        return try Sequential(inputShape: [12, 12, 1], seed: seed, layers: layers)
    }

    /// 6 filters take OpenCL's separate conv, relu and pooling ops; 16 take the fused training
    /// block (convolution, relu and pooling in one kernel that keeps the activations, and the
    /// pooling's backward pass through the relu in one kernel).
    func testTrainingLowersLossAndBackendsAgree() throws {
        for filters in [6, 16] { try checkTrainingLowersLossAndBackendsAgree(filters: filters) }
    }

    func checkTrainingLowersLossAndBackendsAgree(filters: Int) throws {
        let (x, y) = Self.blobs(count: 200, seed: 1)
        var results: [(String, [EpochReport], Sequential)] = []
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            var model = try Self.smallCNN(seed: 3, dropout: true, filters: filters)
            try model.compile(optimizer: .adam(AdamHyperparameters(learningRate: 0.01)), seed: 5)
            let reports = try model.fit(x: x, y: y, epochs: 4, batchSize: 16, backend: backend)   // 52 steps
            XCTAssertLessThan(reports.last!.loss, reports.first!.loss * 0.7, "\(backend.name): \(reports.map(\.loss))")
            XCTAssertGreaterThan(reports.last!.accuracy, 0.6, "\(backend.name)")
            results.append((backend.name, reports, model))
        }
        let reference = results[0]
        for (name, reports, model) in results.dropFirst() {
            for (a, b) in zip(reports, reference.1) { XCTAssertEqual(a.loss, b.loss, accuracy: 1e-3 * b.loss, "\(name), \(filters) filters") }
            for layer in model.parameters.indices {
                for index in model.parameters[layer].indices {
                    let error = relativeError(model.parameters[layer][index], reference.2.parameters[layer][index])
                    XCTAssertLessThan(error, 1e-3, "\(name), \(filters) filters: layer \(layer) parameter \(index) after training")
                }
            }
        }
    }

    func testSameSeedGivesBitIdenticalWeightsOnTheCPUPath() throws {
        let (x, y) = Self.blobs(count: 64, seed: 2)
        func train() throws -> [[[Float]]] {
            var model = try Self.smallCNN(seed: 4, dropout: true)
            try model.compile(optimizer: .adam, seed: 9)
            try model.fit(x: x, y: y, epochs: 2, batchSize: 10, backend: CPUBackend())
            return model.parameters
        }
        XCTAssertEqual(try train(), try train())
    }

    func testResumeMatchesStraightTraining() throws {
        let (x, y) = Self.blobs(count: 48, seed: 3)
        var straight = try Self.smallCNN(seed: 1, dropout: true)
        try straight.compile(optimizer: .adam, seed: 2)
        try straight.fit(x: x, y: y, epochs: 5, batchSize: 8, backend: CPUBackend())
        var resumed = try Self.smallCNN(seed: 1, dropout: true)
        try resumed.compile(optimizer: .adam, seed: 2)
        try resumed.fit(x: x, y: y, epochs: 3, batchSize: 8, backend: CPUBackend())
        try resumed.fit(x: x, y: y, epochs: 5, batchSize: 8, backend: CPUBackend())
        XCTAssertEqual(resumed.training?.epochsCompleted, 5)
        XCTAssertEqual(resumed.parameters, straight.parameters)
    }

    func testPredictAndEvaluate() throws {
        let (x, y) = Self.blobs(count: 37, seed: 4)
        var model = try Self.smallCNN(seed: 5)
        try model.compile(optimizer: .sgd)
        let probabilities = try model.predict(x, batchSize: 10, backend: CPUBackend())
        XCTAssertEqual(probabilities.count, 37 * 4)
        for row in 0..<37 { XCTAssertEqual(probabilities[(row * 4)..<(row * 4 + 4)].reduce(0, +), 1, accuracy: 1e-5) }
        let (loss, accuracy) = try model.evaluate(x: x, y: y, backend: CPUBackend())
        // Cross-entropy of the predicted probabilities, computed here from predict's output.
        let expected = (0..<37).map { -log(Double(probabilities[$0 * 4 + Int(y[$0])])) }.reduce(0, +) / 37
        XCTAssertEqual(loss, expected, accuracy: 1e-5)
        XCTAssertTrue((0...1).contains(accuracy))
        for backend in try TestBackends.openCLBackends() {
            XCTAssertLessThan(relativeError(try model.predict(x, batchSize: 16, backend: backend), probabilities), 1e-5)
        }
    }

    func testBadDataIsRejected() throws {
        var model = try Self.smallCNN(seed: 0)
        XCTAssertThrowsError(try model.fit(x: [0], y: [0], epochs: 1, backend: CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("compile"), "\(error)")
        }
        try model.compile()
        XCTAssertThrowsError(try model.fit(x: [Float](repeating: 0, count: 145), y: [0], epochs: 1, backend: CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("[12, 12, 1]"), "\(error)")
        }
        XCTAssertThrowsError(try model.fit(x: [Float](repeating: 0, count: 144), y: [4], epochs: 1, backend: CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("label 4 of sample 0") && "\(error)".contains("4 outputs"), "\(error)")
        }
        var linear = try Sequential(inputShape: [4], layers: [try Dense(units: 2)])
        XCTAssertThrowsError(try linear.compile())
        XCTAssertNoThrow(try linear.compile(loss: .sparseCategoricalCrossentropy(fromLogits: true)))
    }
}

import Foundation
