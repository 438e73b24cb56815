import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

final class OptimizerTests: XCTestCase {
    func testAdamAndSGDAgreeWithReference() throws {
        var random = SeededGenerator(seed: 10)
        for count in [1, 7, 33, 4099] {
            let v = random.floats(count, in: 0...0.01)
            for step in [1, 2, 1000] {
                try assertBackendsAgree("adam \(count) step \(step)", [
                    .input("p", [count], random.floats(count)), .input("g", [count], random.floats(count)),
                    .input("m", [count], random.floats(count, in: -0.1...0.1)), .input("v", [count], v),
                ], compare: ["p", "m", "v"], tolerance: 1e-5) { backend, t in
                    try backend.adamUpdate(parameter: t["p"]!, gradient: t["g"]!, firstMoment: t["m"]!, secondMoment: t["v"]!,
                                           step: step, hyperparameters: AdamHyperparameters())
                }
            }
            try assertBackendsAgree("sgd \(count)", [
                .input("p", [count], random.floats(count)), .input("g", [count], random.floats(count)),
            ], compare: ["p"], tolerance: 1e-6) { backend, t in
                try backend.sgdUpdate(parameter: t["p"]!, gradient: t["g"]!, learningRate: 0.01)
            }
        }
    }

    /// First Adam step from zero moments moves each parameter by lr * g / (|g| + eps') = about lr
    /// against the gradient's sign, whatever its size (Kingma & Ba 2015, section 2.1).
    func testFirstAdamStepMovesByLearningRate() throws {
        let backend = TestBackends.reference
        let p = try backend.upload([1, 1, 1], shape: [3])
        let zeros = { try backend.upload([0, 0, 0], shape: [3]) }
        try backend.adamUpdate(parameter: p, gradient: try backend.upload([0.5, -20, 0.01], shape: [3]),
                               firstMoment: try zeros(), secondMoment: try zeros(), step: 1, hyperparameters: AdamHyperparameters())
        let values = try backend.download(p)
        XCTAssertEqual(values[0], 0.999, accuracy: 1e-6)
        XCTAssertEqual(values[1], 1.001, accuracy: 1e-6)
        XCTAssertEqual(values[2], 0.999, accuracy: 1e-6)
        XCTAssertThrowsError(try backend.adamUpdate(parameter: p, gradient: p, firstMoment: p, secondMoment: p, step: 0,
                                                    hyperparameters: AdamHyperparameters()))
    }
}
