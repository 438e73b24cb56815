import Glassbox
import GlassboxTestSupport
import XCTest

/// NaN and infinity are reported with the tensor and step, never trained into silently.
final class NumericsTests: XCTestCase {
    func testExplodingTrainingStopsAtTheStepNamingATensor() throws {
        let (x, y) = TrainingTests.blobs(count: 32, seed: 7)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            var model = try TrainingTests.smallCNN(seed: 1)
            try model.compile(optimizer: .sgd(learningRate: 1e30))
            XCTAssertThrowsError(try model.fit(x: x, y: y, epochs: 2, batchSize: 8, backend: backend)) { error in
                guard case GlassboxError.nonFinite(let message) = error else { return XCTFail("\(backend.name): \(error)") }
                XCTAssertTrue(message.contains("training step") && message.contains(".kernel"), "\(backend.name): \(message)")
                XCTAssertTrue(message.contains("gradient of") || message.contains("parameter"), message)
            }
        }
    }

    func testWithoutStepChecksTheEpochLossStillStopsIt() throws {
        let (x, y) = TrainingTests.blobs(count: 32, seed: 8)
        var model = try TrainingTests.smallCNN(seed: 1)
        try model.compile(optimizer: .sgd(learningRate: 1e30))
        XCTAssertThrowsError(try model.fit(x: x, y: y, epochs: 1, batchSize: 8, backend: CPUBackend(), checkNumerics: .off)) { error in
            XCTAssertTrue("\(error)".contains("epoch 1"), "\(error)")
        }
    }

    func testNonFiniteInputsAndParametersAreNamed() throws {
        var (x, y) = TrainingTests.blobs(count: 8, seed: 9)
        x[3 * 144 + 5] = .nan
        var model = try TrainingTests.smallCNN(seed: 1)
        try model.compile()
        XCTAssertThrowsError(try model.fit(x: x, y: y, epochs: 1, backend: CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("sample 3") && "\(error)".contains("value 5"), "\(error)")
        }
        XCTAssertThrowsError(try model.predict(x, backend: CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("sample 3"), "\(error)")
        }
        var parameters = model.parameters
        parameters[3][0][10] = .infinity
        try model.setParameters(parameters)
        XCTAssertThrowsError(try InferenceSession(model: model, backend: CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("dense.kernel") && "\(error)".contains("element 10"), "\(error)")
        }
    }
}
