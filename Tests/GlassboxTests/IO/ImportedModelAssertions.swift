import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

extension XCTestCase {
    /// `model` (imported from the fixture `name`) predicts, on the fixture's 256 Fashion-MNIST
    /// test images and on every backend, what the exporting framework and ONNX Runtime predicted,
    /// to 1e-5 in every output.
    func assertPredictsLikeItsFramework(_ model: Sequential, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try ImportFixtures.reference(name)
        XCTAssertEqual(model.inputShape, [28, 28, 1], name, file: file, line: line)
        if let shape = expected.output_shape { XCTAssertEqual(model.outputShapes.last, shape, name, file: file, line: line) }
        let pixels = try ImportFixtures.images()
        XCTAssertEqual(expected.images, 256, file: file, line: line)
        XCTAssertEqual(pixels.count, expected.images * 784, file: file, line: line)
        let framework = expected.framework
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let outputs = try model.predict(pixels, backend: backend)
            for (source, values) in [(framework.name, framework.outputs), ("ONNX Runtime", expected.runtime)] {
                XCTAssertEqual(outputs.count, values.count, "\(name): output count", file: file, line: line)
                let worst = zip(outputs, values).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThan(worst, 1e-5, "\(name) on \(backend.name): largest difference from \(source) \(worst)", file: file, line: line)
            }
        }
    }
}
