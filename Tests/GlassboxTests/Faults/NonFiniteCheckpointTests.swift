import Foundation
@testable import Glassbox
import GlassboxTestSupport
import XCTest

/// A NaN that reaches a checkpoint (a damaged file, a diverged device) is caught by name on every
/// backend: when the file is read, before training resumes, after each epoch, and before a save.
final class NonFiniteCheckpointTests: XCTestCase {
    /// The small CNN after one epoch of Adam, so it carries optimizer state.
    func trainedModel() throws -> Sequential {
        let (x, y) = TrainingTests.blobs(count: 16, seed: 21)
        var model = try TrainingTests.smallCNN(seed: 3)
        try model.compile(optimizer: .adam, seed: 5)
        try model.fit(x: x, y: y, epochs: 1, batchSize: 8, backend: CPUBackend())
        return model
    }

    func testANaNInTheOptimizerStateIsNamedOnLoadOnFitAndOnSave() throws {
        var model = try trainedModel()
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("m.safetensors")
        try model.save(to: url)
        let good = try Data(contentsOf: url)

        var state = try XCTUnwrap(model.training)
        state.slots[3][0][1][7] = .nan   // Dense 16's kernel, Adam's v
        model.training = state
        // Saving refuses, and the old file stays.
        XCTAssertThrowsError(try model.save(to: url)) { error in
            XCTAssertTrue("\(error)".contains("optimizer.dense.kernel.v") && "\(error)".contains("element 7"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: url), good)
        // Reading a file that holds it refuses, naming the tensor.
        let file = try model.safetensors()   // the encoding alone does not check
        let damaged = folder.appendingPathComponent("damaged.safetensors")
        try file.write(to: damaged)
        XCTAssertThrowsError(try Sequential.load(from: damaged)) { error in
            XCTAssertTrue("\(error)".contains("'optimizer.dense.kernel.v' holds nan at element 7"), "\(error)")
        }
        // Training from such a state stops before the first step, on every backend.
        let (x, y) = TrainingTests.blobs(count: 16, seed: 22)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            var copy = model
            XCTAssertThrowsError(try copy.fit(x: x, y: y, epochs: 2, batchSize: 8, backend: backend)) { error in
                XCTAssertTrue("\(error)".contains("optimizer state optimizer.dense.kernel.v holds nan"), "\(backend.name): \(error)")
            }
        }
    }

    /// OpenCL's `fmax(NaN, 0)` is 0: a relu kernel built on it alone hid a NaN weight from the
    /// loss, so training went on and saved NaN. ReLU passes NaN through on every backend.
    func testReluPassesNaNThroughOnEveryBackend() throws {
        let input: [Float] = [.nan, -1, 2, -.infinity, .infinity, 0.5, -0.25]
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let x = try backend.upload(input, shape: [input.count])
            let y = try backend.makeTensor(shape: [input.count], filledWith: 7)
            try backend.relu(x, into: y)
            let output = try backend.download(y)
            XCTAssertTrue(output[0].isNaN, "\(backend.name): \(output)")
            XCTAssertEqual(Array(output[1...]), [0, 2, 0, .infinity, 0.5, 0], "\(backend.name)")
        }
    }

    /// A NaN pixel reaches the relu outputs of a 16-filter convolution on every backend, with
    /// the relu inside the convolution's kernel (alone, and keeping the activations before a
    /// max pooling), as `relu_forward` passes it.
    func testConvReluPassesNaNThroughOnEveryBackend() throws {
        var random = SeededGenerator(seed: 31)
        let g = try Conv2DGeometry(inputShape: [1, 6, 6, 1], kernelShape: [3, 3, 1, 16])
        let pool = try Pool2DGeometry(inputShape: g.outputShape)
        var pixels = random.floats(36)
        pixels[14] = .nan
        let kernel = random.floats(g.kernelShape.elementCount)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let x = try backend.upload(pixels, shape: g.inputShape), k = try backend.upload(kernel, shape: g.kernelShape)
            let alone = try backend.makeTensor(shape: g.outputShape, filledWith: 7)
            try backend.conv2dPoolForward(input: x, kernel: k, bias: nil, geometry: g, pool: nil, activation: .relu, into: alone)
            let kept = try backend.makeTensor(shape: g.outputShape, filledWith: 7), pooled = try backend.makeTensor(shape: pool.outputShape)
            try backend.conv2dActivationPoolForward(input: x, kernel: k, bias: nil, geometry: g, pool: pool, activation: .relu,
                                                    activations: kept, into: pooled)
            // Pixel (2, 2) feeds the 3x3 outputs (0...2, 0...2) of every filter.
            for (name, tensor) in [("alone", alone), ("kept", kept)] {
                let values = try backend.download(tensor)
                XCTAssertEqual(values.filter(\.isNaN).count, 9 * 16, "\(backend.name) \(name)")
                XCTAssertTrue(values.allSatisfy { $0.isNaN || $0 >= 0 }, "\(backend.name) \(name)")
            }
        }
    }

    /// Weights that turn non-finite in a step whose loss was still finite are caught right after
    /// that step by the parameter check, on every backend (before, only the next loss told).
    func testAParameterNaNIsCaughtAfterTheStepEvenWhenTheLossIsFinite() throws {
        let (x, y) = TrainingTests.blobs(count: 16, seed: 23)
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            var model = try TrainingTests.smallCNN(seed: 4)
            // SGD with a learning rate of infinity turns every weight with a non-zero gradient
            // into +-infinity or NaN after the first step.
            try model.compile(optimizer: .sgd(learningRate: .infinity), seed: 1)
            XCTAssertThrowsError(try model.fit(x: x, y: y, epochs: 1, batchSize: 8, backend: backend)) { error in
                guard case GlassboxError.nonFinite(let message) = error else { return XCTFail("\(backend.name): \(error)") }
                XCTAssertTrue(message.contains("training step 1"), "\(backend.name): \(message)")
            }
        }
    }

    func testUnknownFormatVersionAndOverlappingTensorsAreRefused() throws {
        var file = try Sequential.referenceCNN().safetensors()
        file.metadata["format_version"] = "7"
        XCTAssertThrowsError(try Sequential.load(file, path: "v7.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("format_version '7'"), "\(error)")
        }
        let header = Array(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#.utf8)
        let bytes = [UInt8(header.count), 0, 0, 0, 0, 0, 0, 0] + header + [UInt8](repeating: 0, count: 12)
        XCTAssertThrowsError(try Safetensors.decode(Data(bytes), path: "overlap.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("'a' [0, 8) and 'b' [4, 12) overlap"), "\(error)")
        }
    }

    func testResumedTrainingMetadataObeysTheFlagRules() throws {
        var state = TrainingState(optimizer: .adam(AdamHyperparameters(learningRate: -1)), loss: .sparseCategoricalCrossentropy, seed: 0)
        XCTAssertThrowsError(try TrainingLimits.check(state, source: "ckpt")) { error in
            XCTAssertTrue("\(error)".contains("ckpt: learning_rate") && "\(error)".contains("-1"), "\(error)")
        }
        for (optimizer, field) in [(Optimizer.adam(AdamHyperparameters(beta1: 1)), "beta_1"), (.adam(AdamHyperparameters(beta2: .nan)), "beta_2"),
                                   (.adam(AdamHyperparameters(epsilon: 0)), "epsilon"), (.sgd(learningRate: .infinity), "learning_rate")] {
            state.optimizer = optimizer
            XCTAssertThrowsError(try TrainingLimits.check(state, source: "ckpt")) { error in
                XCTAssertTrue("\(error)".contains("ckpt: \(field)"), "\(field): \(error)")
            }
        }
        state.optimizer = .adam
        state.batchSize = 1 << 40
        XCTAssertThrowsError(try TrainingLimits.check(state, source: "ckpt")) { error in
            XCTAssertTrue("\(error)".contains("batch_size") && "\(error)".contains("65536"), "\(error)")
        }
        state.batchSize = 32
        XCTAssertNoThrow(try TrainingLimits.check(state, source: "ckpt"))
    }
}
