import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

final class SurrogateTreeTests: XCTestCase {
    /// A model whose class is known: on 8x8 images, softmax over logits (0, 100 (mean of the left
    /// half - 0.5)), so class 1 ("bright") iff the left half's mean exceeds 0.5.
    private func leftHalfModel() throws -> Sequential {
        var model = try Sequential(inputShape: [8, 8, 1], layers: [Flatten(), try Dense(units: 2, activation: .softmax)])
        let kernel: [Float] = (0..<64).flatMap { p -> [Float] in [0, p % 8 < 4 ? 100 / 32 : 0] }
        try model.setParameters([[], [kernel, [0, -50]]])
        model.classNames = ["dark", "bright"]
        return model
    }

    /// Images whose left half is one random level and right half another, so the left blocks of
    /// a 2x2 grid carry exactly the level the model thresholds.
    private func halfImages(count: Int, seed: UInt64) -> [Float] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).flatMap { _ -> [Float] in
            let left = Float.random(in: 0...1, using: &random), right = Float.random(in: 0...1, using: &random)
            return (0..<64).map { $0 % 8 < 4 ? left : right }
        }
    }

    /// One split recovers the model: on block(0,0) (the first of the two equal left blocks) at a
    /// threshold near 0.5. The held-out images disagree only if their level falls between the two
    /// training levels around 0.5 (a gap of about 1/320 here), so fidelity is 1 or very nearly.
    func testRecoversAKnownSplit() throws {
        let session = try InferenceSession(model: try leftHalfModel(), backend: TestBackends.reference)
        let tree = try SurrogateTree.fit(session: session, images: halfImages(count: 400, seed: 1), count: 400,
                                         features: .pooledBlocks(grid: 2), maxDepth: 4, seed: 7)
        XCTAssertEqual(tree.depth, 1)
        XCTAssertEqual(tree.leafCount, 2)
        XCTAssertEqual(tree.nodes[0].feature, 0)
        XCTAssertEqual(tree.featureNames, ["block(0,0)", "block(0,1)", "block(1,0)", "block(1,1)"])
        XCTAssertEqual(tree.nodes[0].threshold, 0.5, accuracy: 0.02)
        XCTAssertGreaterThanOrEqual(tree.fidelity, 0.98)
        XCTAssertEqual(tree.trainingCount, 320)
        XCTAssertEqual(tree.heldOutCount, 80)
        XCTAssertEqual(tree.predict(features: [0.9, 0.1, 0.9, 0.1]), 1)
        XCTAssertEqual(tree.predict(features: [0.1, 0.9, 0.1, 0.9]), 0)
        XCTAssertEqual(try tree.predict(image: [Float](repeating: 0.8, count: 64)), 1)
        let threshold = String(format: "%.4g", tree.nodes[0].threshold)
        let rules = tree.rules()
        XCTAssertTrue(rules.contains("if block(0,0) <= \(threshold):"), rules)
        XCTAssertTrue(rules.contains("-> dark"), rules)
        XCTAssertTrue(rules.contains("-> bright"), rules)
        XCTAssertTrue(tree.rules(classNames: ["no", "yes"]).contains("-> yes"))
        let dot = tree.dot()
        XCTAssertTrue(dot.hasPrefix("digraph surrogate {"), dot)
        XCTAssertTrue(dot.contains("n0 -> n1 [label=\"yes\"]"), dot)
        XCTAssertTrue(dot.contains("block(0,0) <= \(threshold)"), dot)
    }

    /// Regression on the model's probability of "bright": a steep sigmoid of the left level, which
    /// a depth-4 tree of 16 steps fits to R^2 above 0.9 on held-out images.
    func testRegressionModeFitsTheProbability() throws {
        let session = try InferenceSession(model: try leftHalfModel(), backend: TestBackends.reference)
        let tree = try SurrogateTree.fit(session: session, images: halfImages(count: 400, seed: 2), count: 400,
                                         features: .pooledBlocks(grid: 2), target: .probability(ofClass: 1), maxDepth: 4, seed: 3)
        XCTAssertGreaterThan(tree.fidelity, 0.9)
        XCTAssertLessThanOrEqual(tree.depth, 4)
        XCTAssertEqual(tree.predict(features: [0.95, 0, 0.95, 0]), 1, accuracy: 0.05)
        XCTAssertEqual(tree.predict(features: [0.05, 0, 0.05, 0]), 0, accuracy: 0.05)
        XCTAssertTrue(tree.rules().contains("p(bright) = "), tree.rules())
    }

    /// A random CNN on random images with pixel features: the limits hold, and the tree is a
    /// proper binary tree whose leaves hold at least minLeaf training samples.
    func testDepthAndLeavesAreBounded() throws {
        let session = try InferenceSession(model: try ExplainFixtures.smallCNN(), backend: TestBackends.reference)
        var random = SeededGenerator(seed: 4)
        let images = random.floats(300 * 64, in: 0...1)
        for maxDepth in [1, 3] {
            let tree = try SurrogateTree.fit(session: session, images: images, count: 300, features: .pixels,
                                             maxDepth: maxDepth, minLeaf: 10, seed: 5)
            XCTAssertLessThanOrEqual(tree.depth, maxDepth)
            XCTAssertLessThanOrEqual(tree.leafCount, 1 << maxDepth)
            XCTAssertEqual(tree.nodes.count, 2 * tree.leafCount - 1)
            for node in tree.nodes where node.feature == nil { XCTAssertGreaterThanOrEqual(node.sampleCount, 10) }
            XCTAssertEqual(tree.nodes[0].sampleCount, 240)
            XCTAssertEqual(tree.featureNames[9], "pixel(1,1)")
            XCTAssertTrue((0...1).contains(tree.fidelity))
        }
    }

    func testSameSeedSameTree() throws {
        let session = try InferenceSession(model: try ExplainFixtures.smallCNN(), backend: TestBackends.reference)
        var random = SeededGenerator(seed: 6)
        let images = random.floats(200 * 64, in: 0...1)
        func fit(_ seed: UInt64) throws -> SurrogateTree {
            try SurrogateTree.fit(session: session, images: images, count: 200, features: .pooledBlocks(grid: 4), maxDepth: 3, seed: seed)
        }
        let first = try fit(8), again = try fit(8)
        XCTAssertEqual(first.nodes, again.nodes)
        XCTAssertEqual(first.fidelity, again.fidelity)
        XCTAssertEqual(first.rules(), again.rules())
        XCTAssertEqual(first.dot(), again.dot())
    }

    func testDotEscapesNames() throws {
        let session = try InferenceSession(model: try leftHalfModel(), backend: TestBackends.reference)
        let tree = try SurrogateTree.fit(session: session, images: halfImages(count: 100, seed: 3), count: 100,
                                         features: .pooledBlocks(grid: 2), seed: 1)
        let dot = tree.dot(classNames: ["say \"no\"", "yes"])
        XCTAssertTrue(dot.contains("say \\\"no\\\""), dot)
    }

    func testBadArgumentsAreRejected() throws {
        let session = try InferenceSession(model: try leftHalfModel(), backend: TestBackends.reference)
        let images = halfImages(count: 20, seed: 1)
        XCTAssertThrowsError(try SurrogateTree.fit(session: session, images: images, count: 19, features: .pixels))
        XCTAssertThrowsError(try SurrogateTree.fit(session: session, images: images, count: 20, features: .pixels, heldOutFraction: 1))
        XCTAssertThrowsError(try SurrogateTree.fit(session: session, images: images, count: 20, features: .pixels, maxDepth: 0))
        XCTAssertThrowsError(try SurrogateTree.fit(session: session, images: images, count: 20, features: .pooledBlocks(grid: 9)))
        XCTAssertThrowsError(try SurrogateTree.fit(session: session, images: images, count: 20, features: .pixels,
                                                   target: .probability(ofClass: 2))) { XCTAssertTrue("\($0)".contains("class 2"), "\($0)") }
    }
}
