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

    /// The input check searches a chunk (4,096 values) at a time: a bad value anywhere, at a chunk's
    /// first or last place or the input's last, of any kind, is found and named, and the largest
    /// finite magnitudes are not taken for infinity.
    func testNonFiniteInputIsFoundAtEveryPlaceOfAChunk() throws {
        let clean = TrainingTests.blobs(count: 100, seed: 11).x   // 14,400 values: four chunks
        let model = try TrainingTests.smallCNN(seed: 2)
        for (place, bad) in [(0, Float.nan), (4095, .infinity), (4096, -.infinity), (8191 + 4096, .nan), (clean.count - 1, -.nan),
                             (5000, Float(bitPattern: 0x7fc0_0001))] {
            var x = clean
            x[place] = bad
            x[place + (place < 7000 ? 3000 : -3000)] = .infinity   // a later bad value must not be named instead of an earlier one
            let first = min(place, place + (place < 7000 ? 3000 : -3000))
            XCTAssertThrowsError(try model.predict(x, backend: CPUBackend()), "value \(place)") { error in
                XCTAssertTrue("\(error)".contains("input: sample \(first / 144) holds") && "\(error)".contains("at value \(first % 144)"),
                              "value \(place): \(error)")
            }
        }
        var extreme = clean
        (extreme[4095], extreme[4096], extreme[9000]) = (.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude)
        do {
            _ = try model.predict(extreme, backend: CPUBackend())
        } catch {
            XCTAssertFalse("\(error)".contains("input: sample"), "a finite input was called non-finite: \(error)")
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
