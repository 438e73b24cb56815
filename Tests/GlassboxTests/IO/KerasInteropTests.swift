import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// A model written by Keras loads into Glassbox and predicts what Keras predicted. The fixture and
/// how it was made: Tests/Fixtures/README.md.
final class KerasInteropTests: XCTestCase {
    /// Keras and Glassbox sum the same float32 products in different orders (oneDNN's blocked
    /// convolution and GEMM against the reference's Double accumulators or the OpenCL kernels'
    /// float ones); the probabilities differ by a few float32 ulps of values below 1. Observed:
    /// about 2e-7 on the CPU reference and 5e-7 on PoCL.
    static let tolerance: Float = 1e-5

    struct Reference: Decodable {
        let indices: [Int]
        let images: [[Int]]
        let probabilities: [[Float]]
    }

    static var fixtures: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()   // IO
            .deletingLastPathComponent()   // GlassboxTests
            .deletingLastPathComponent()   // Tests
            .appendingPathComponent("Fixtures")
    }

    func loadFixtures() throws -> (model: Sequential, pixels: [Float], reference: Reference) {
        let model = try Sequential.load(from: Self.fixtures.appendingPathComponent("keras-reference.safetensors"))
        let json = try Data(contentsOf: Self.fixtures.appendingPathComponent("keras-reference-probabilities.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: json)
        XCTAssertEqual(reference.images.count, 10)
        XCTAssertEqual(reference.probabilities.count, 10)
        XCTAssertTrue(reference.images.allSatisfy { $0.count == 784 && $0.allSatisfy { (0...255).contains($0) } })
        // The same float32 division Keras's side did: uint8 / 255.
        let pixels = reference.images.flatMap { $0.map { Float($0) / 255 } }
        return (model, pixels, reference)
    }

    /// The largest absolute difference from Keras's probabilities; also checks the predicted classes.
    func maxDifference(_ probabilities: [Float], _ reference: Reference, backend: String) -> Float {
        XCTAssertEqual(probabilities.count, 100, backend)
        var largest: Float = 0
        for (row, expected) in reference.probabilities.enumerated() {
            let actual = Array(probabilities[(row * 10)..<(row * 10 + 10)])
            largest = max(largest, zip(actual, expected).map { abs($0 - $1) }.max()!)
            XCTAssertEqual(actual.indices.max { actual[$0] < actual[$1] }, expected.indices.max { expected[$0] < expected[$1] },
                           "\(backend): predicted class of test image \(reference.indices[row])")
        }
        return largest
    }

    func testKerasFileLoadsAsTheReferenceCNN() throws {
        let (model, _, _) = try loadFixtures()
        let reference = try Sequential.referenceCNN()
        XCTAssertEqual(model.layers.map(\.configuration), reference.layers.map(\.configuration))
        XCTAssertEqual(model.parameterCount, 693_962)
        XCTAssertNil(model.training, "Keras's export has no Glassbox training state")
        XCTAssertNotEqual(model.parameters[3][0], reference.parameters[3][0], "the weights must be Keras's, not Glassbox's initialisation")
    }

    func testCPUReferencePredictsKerasProbabilities() throws {
        let (model, pixels, reference) = try loadFixtures()
        let difference = maxDifference(try model.predict(pixels, backend: CPUBackend()), reference, backend: "cpu")
        XCTAssertLessThanOrEqual(difference, Self.tolerance, "cpu: max |glassbox - keras| = \(difference)")
    }

    func testOpenCLPredictsKerasProbabilities() throws {
        let (model, pixels, reference) = try loadFixtures()
        for backend in try TestBackends.openCLBackends() {
            let name = "\(backend.name) (\(backend.variant) kernels)"
            let difference = maxDifference(try model.predict(pixels, backend: backend), reference, backend: name)
            XCTAssertLessThanOrEqual(difference, Self.tolerance, "\(name): max |glassbox - keras| = \(difference)")
        }
    }
}
