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

    /// The multi-tensor steps (small tensors 8 per launch on OpenCL, large ones alone) equal the
    /// one-tensor reference on 12 tensors of odd sizes (one of 70,001 elements alone, then two
    /// multi-tensor launches, the second with unused slots), outputs poisoned by being random
    /// state that every element must replace.
    func testMultiTensorStepsAgreeWithTheReference() throws {
        var random = SeededGenerator(seed: 44)
        let sizes = [1, 7, 300, 33, 70_001, 1025, 2, 64, 129, 5, 17, 999]   // 70,001: its own launch
        var tensors: [NamedTensor] = []
        for (i, n) in sizes.enumerated() {
            var v = random.floats(n, in: 0...0.1)
            v[0] = 0
            tensors += [.input("p\(i)", [n], random.floats(n)), .input("g\(i)", [n], random.floats(n)),
                        .input("m\(i)", [n], random.floats(n, in: -0.1...0.1)), .input("v\(i)", [n], v)]
        }
        let compared = sizes.indices.flatMap { ["p\($0)", "m\($0)", "v\($0)"] }
        for step in [1, 9] {
            try assertBackendsAgree("adam multi step \(step)", tensors, compare: compared, tolerance: 1e-5) { backend, t in
                try backend.adamUpdate(sizes.indices.map { OptimizerTensors(parameter: t["p\($0)"]!, gradient: t["g\($0)"]!,
                                                                             slots: [t["m\($0)"]!, t["v\($0)"]!]) },
                                       step: step, hyperparameters: AdamHyperparameters())
            }
        }
        try assertBackendsAgree("sgd multi", tensors, compare: sizes.indices.map { "p\($0)" }, tolerance: 1e-6) { backend, t in
            try backend.sgdUpdate(sizes.indices.map { OptimizerTensors(parameter: t["p\($0)"]!, gradient: t["g\($0)"]!, slots: []) },
                                  learningRate: 0.03)
        }
        // A tensor given the wrong state is refused, not half-updated.
        let backend = CPUBackend()
        let p = try backend.upload([1, 2], shape: [2])
        XCTAssertThrowsError(try backend.adamUpdate([OptimizerTensors(parameter: p, gradient: p, slots: [p])], step: 1,
                                                    hyperparameters: AdamHyperparameters())) { XCTAssertTrue("\($0)".contains("2 (m and v)"), "\($0)") }
        for opencl in try TestBackends.openCLBackends() {
            let q = try opencl.upload([1, 2], shape: [2])
            XCTAssertThrowsError(try opencl.adamUpdate([OptimizerTensors(parameter: q, gradient: q, slots: [q])], step: 1,
                                                       hyperparameters: AdamHyperparameters()))
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
