import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

final class LossTests: XCTestCase {
    let shapes: [(rows: Int, classes: Int)] = [(1, 10), (3, 7), (33, 10), (5, 1), (64, 3)]

    func testSoftmaxAndBackwardAgreeWithReference() throws {
        var random = SeededGenerator(seed: 7)
        for (rows, classes) in shapes {
            let logits = random.floats(rows * classes, in: -8...8)
            try assertBackendsAgree("softmax \(rows)x\(classes)", [.input("z", [rows, classes], logits), .output("p", [rows, classes])],
                                    tolerance: 1e-5) { backend, t in try backend.softmax(t["z"]!, into: t["p"]!) }
            let p = try TestBackends.reference.download({ let b = TestBackends.reference
                let out = try b.makeTensor(shape: [rows, classes]); try b.softmax(try b.upload(logits, shape: [rows, classes]), into: out); return out }())
            try assertBackendsAgree("softmax backward \(rows)x\(classes)", [
                .input("p", [rows, classes], p), .input("g", [rows, classes], random.floats(rows * classes)),
                .output("gz", [rows, classes]),
            ], tolerance: 1e-4) { backend, t in try backend.softmaxBackward(probabilities: t["p"]!, gradOutput: t["g"]!, into: t["gz"]!) }
        }
    }

    func testCrossEntropyAgreesWithReference() throws {
        var random = SeededGenerator(seed: 8)
        for (rows, classes) in shapes {
            for range: ClosedRange<Float> in [-5...5, -1e4...1e4] {
                let tensors: [NamedTensor] = [
                    .input("z", [rows, classes], random.floats(rows * classes, in: range)),
                    .input("y", [rows], random.labels(rows, classes: classes)),
                    .output("loss", [rows]), .output("gz", [rows, classes]),
                ]
                let reference = try assertBackendsAgree("softmax_cross_entropy \(rows)x\(classes) logits \(range)", tensors,
                                                        tolerance: 1e-5) { backend, t in
                    try backend.softmaxCrossEntropy(logits: t["z"]!, labels: t["y"]!, losses: t["loss"]!, gradLogits: t["gz"]!,
                                                    scale: 1 / Float(rows))
                }
                XCTAssertTrue(reference["loss"]!.allSatisfy(\.isFinite), "loss must stay finite for logits in \(range)")
                XCTAssertTrue(reference["gz"]!.allSatisfy(\.isFinite), "gradient must stay finite for logits in \(range)")
            }
        }
    }

    /// The one-launch loss head equals the three ops on every backend: losses, gradients, and the
    /// totals added to what they held (accumulated), on batches up to 3 x 64 + 5 rows (several
    /// rows per work-item) with ties in the logits and one invalid label (its loss NaN, its row
    /// not counted correct).
    func testLossHeadTotalsAgreeWithTheThreeOps() throws {
        var random = SeededGenerator(seed: 9)
        for (rows, classes) in shapes + [(197, 10)] {
            var logits = random.floats(rows * classes, in: -4...4)
            if classes > 1 { logits[1] = logits[0] }   // a tie: the first maximum counts
            let labels = random.labels(rows, classes: classes)
            let tensors: [NamedTensor] = [
                .input("z", [rows, classes], logits), .input("y", [rows], labels),
                .output("loss", [rows]), .output("gz", [rows, classes]),
                .input("total", [1], [2.5]), .input("correct", [1], [3]),
            ]
            let fused = try assertBackendsAgree("loss head \(rows)x\(classes)", tensors, compare: ["loss", "gz", "total", "correct"],
                                                tolerance: 1e-5) { backend, t in
                try backend.softmaxCrossEntropyTotals(logits: t["z"]!, labels: t["y"]!, losses: t["loss"]!, gradLogits: t["gz"]!,
                                                      scale: 0.5, lossTotal: t["total"]!, correctTotal: t["correct"]!)
            }
            let reference = TestBackends.reference
            let z = try reference.upload(logits, shape: [rows, classes]), y = try reference.upload(labels, shape: [rows])
            let losses = try reference.makeTensor(shape: [rows]), count = try reference.upload([3], shape: [1])
            try reference.softmaxCrossEntropy(logits: z, labels: y, losses: losses, gradLogits: nil, scale: 1)
            try reference.accuracyCount(logits: z, labels: y, into: count, accumulate: true)
            let lossValues = try reference.download(losses)
            XCTAssertEqual(fused["correct"]![0], try reference.download(count)[0])
            XCTAssertEqual(Double(fused["total"]![0]), 2.5 + lossValues.reduce(0) { $0 + Double($1) }, accuracy: 1e-4 * Double(rows))
        }
        // An invalid label: its loss and the total are NaN, its row is not counted correct.
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            let z = try backend.upload([5, 0, 0, 5, 5, 0], shape: [3, 2]), y = try backend.upload([0, 7, 0], shape: [3])
            let losses = try backend.makeTensor(shape: [3]), total = try backend.upload([0], shape: [1]), correct = try backend.upload([0], shape: [1])
            try backend.softmaxCrossEntropyTotals(logits: z, labels: y, losses: losses, gradLogits: nil, scale: 1, lossTotal: total, correctTotal: correct)
            XCTAssertTrue(try backend.download(total)[0].isNaN, backend.name)
            XCTAssertEqual(try backend.download(correct)[0], 2, backend.name)
            XCTAssertEqual(try backend.download(losses).map(\.isNaN), [false, true, false], backend.name)
        }
    }

    /// Logits (0, ln 3): softmax (1/4, 3/4). Label 1: loss -ln(3/4); gradient (1/4, -1/4).
    /// Logits (1e4, -1e4), label 1: loss 2e4 exactly, without overflow.
    func testHandComputedLoss() throws {
        let backend = TestBackends.reference
        let logits = try backend.upload([0, Float(log(3.0)), 1e4, -1e4], shape: [2, 2])
        let labels = try backend.upload([1, 1], shape: [2])
        let losses = try backend.makeTensor(shape: [2]), grad = try backend.makeTensor(shape: [2, 2])
        try backend.softmaxCrossEntropy(logits: logits, labels: labels, losses: losses, gradLogits: grad, scale: 1)
        let loss = try backend.download(losses), g = try backend.download(grad)
        XCTAssertEqual(loss[0], Float(-log(0.75)), accuracy: 1e-6)
        XCTAssertEqual(loss[1], 2e4)
        XCTAssertEqual(g[0], 0.25, accuracy: 1e-6)
        XCTAssertEqual(g[1], -0.25, accuracy: 1e-6)
        XCTAssertEqual(g[2], 1)
        XCTAssertEqual(g[3], -1)
    }

    func testInvalidLabelGivesNaNOnEveryBackend() throws {
        try assertBackendsAgree("softmax_cross_entropy invalid label", [
            .input("z", [3, 4], [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]), .input("y", [3], [2, 4, 1.5]),
            .output("loss", [3]),
        ], tolerance: 1e-6, expectNaN: true) { backend, t in
            try backend.softmaxCrossEntropy(logits: t["z"]!, labels: t["y"]!, losses: t["loss"]!, gradLogits: nil, scale: 1)
            let loss = try backend.download(t["loss"]!)
            XCTAssertTrue(loss[0].isFinite && loss[1].isNaN && loss[2].isNaN, "\(backend.name): \(loss)")
        }
    }

    func testArgmaxAndAccuracyAgreeWithReference() throws {
        var random = SeededGenerator(seed: 9)
        for (rows, classes) in shapes {
            let labels = random.labels(rows, classes: classes)
            try assertBackendsAgree("argmax/accuracy \(rows)x\(classes)", [
                .input("z", [rows, classes], random.floats(rows * classes)), .input("y", [rows], labels),
                .output("index", [rows]), .output("count", [1]),
            ], tolerance: 0) { backend, t in
                try backend.argmax(t["z"]!, into: t["index"]!)
                try backend.accuracyCount(logits: t["z"]!, labels: t["y"]!, into: t["count"]!)
            }
        }
        let backend = TestBackends.reference
        let count = try backend.makeTensor(shape: [1]), index = try backend.makeTensor(shape: [3])
        let z = try backend.upload([0, 5, 5, 9, 1, 2, 3, 3, 3], shape: [3, 3])
        try backend.argmax(z, into: index)
        XCTAssertEqual(try backend.download(index), [1, 0, 0], "ties go to the first maximum")
        try backend.accuracyCount(logits: z, labels: try backend.upload([1, 0, 2], shape: [3]), into: count)
        XCTAssertEqual(try backend.download(count), [2])
    }
}
