@testable import Glassbox
import GlassboxTestSupport
import XCTest

final class PartitionShapTests: XCTestCase {
    /// Owen values of an additive game are its Shapley values: the closed form, for quadtrees of
    /// odd (3x3) and even sides, 64 one-pixel segments, and a binary tree over a segment map.
    func testLinearModelClosedForm() throws {
        let model = try ExplainFixtures.linearModel()
        let input = ExplainFixtures.image()
        let map = try Segmentation.map((0..<64).map { p in min((p / 8) / 3, 2) * 2 + min((p % 8) / 4, 1) }, width: 8, height: 8)
        let segmentations = [try Segmentation.grid(3, width: 8, height: 8), try Segmentation.grid(4, width: 8, height: 8),
                             try Segmentation.grid(8, width: 8, height: 8), map]
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            for segmentation in segmentations {
                let explanation = try PartitionShap().explain(try ExplainFixtures.request(model, backend: backend, input: input,
                                                                                          segmentation: segmentation, target: 2))
                let expected = ExplainFixtures.linearShapley(model, input: input, segmentation: segmentation, target: 2)
                for (value, truth) in zip(explanation.values, expected) {
                    XCTAssertEqual(value, truth, accuracy: 1e-5, "\(backend.name), \(segmentation.count) segments")
                }
                XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-5)
                XCTAssertEqual(explanation.method, "partition")
            }
        }
    }

    /// grid:2 is one level of four leaves: the Owen values are the Shapley values.
    func testFourQuadrantsAreShapleyValues() throws {
        let request = try ExplainFixtures.request(try ExplainFixtures.smallCNN(), backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: try Segmentation.grid(2, width: 8, height: 8), target: 1)
        let exact = try ExactShapley().explain(request)
        let partition = try PartitionShap().explain(request)
        XCTAssertLessThan(attributionError(partition.values, exact.values), 1e-9)
        XCTAssertEqual(partition.samples, 16)
        XCTAssertEqual(partition.metrics["depth"], 1)
    }

    /// Against the definition, independently of the tree code: the Owen (Winter) value is the mean
    /// marginal contribution over the orders that keep every node's segments together (Owen 1977).
    /// grid:3's quadtree, written out: blocks {0,1,3,4} (four leaves), {2,5}, {6,7} and {8}.
    func testMatchesOrdersThatKeepBlocksTogether() throws {
        let request = try ExplainFixtures.request(try ExplainFixtures.smallCNN(), backend: TestBackends.reference, input: ExplainFixtures.image(),
                                                  segmentation: try Segmentation.grid(3, width: 8, height: 8), target: 1)
        let outputs = try request.makeEngine().evaluate((0..<512).map { UInt64($0) }, target: 1)
        let blocks = [[0, 1, 3, 4], [2, 5], [6, 7], [8]]
        func permutations(_ items: [Int]) -> [[Int]] {
            items.count <= 1 ? [items] : items.indices.flatMap { i in
                permutations(Array(items[..<i] + items[(i + 1)...])).map { [items[i]] + $0 }
            }
        }
        var totals = [Double](repeating: 0, count: 9), orders = 0.0
        for blockOrder in permutations(Array(blocks.indices)) {
            var walks: [[Int]] = [[]]
            for block in blockOrder { walks = walks.flatMap { walk in permutations(blocks[block]).map { walk + $0 } } }
            for walk in walks {
                var mask = 0
                for segment in walk {
                    totals[segment] += outputs[mask | (1 << segment)] - outputs[mask]
                    mask |= 1 << segment
                }
                orders += 1
            }
        }
        XCTAssertEqual(orders, 24 * 24 * 2 * 2)
        let expected = totals.map { $0 / orders }
        let partition = try PartitionShap().explain(request)
        XCTAssertLessThan(attributionError(partition.values, expected), 1e-9)
        // Not the Shapley values: the blocks matter for this non-linear model.
        XCTAssertGreaterThan(attributionError(partition.values, try ExactShapley().explain(request).values), 1e-4)
    }

    /// grid:4: exact efficiency from a few hundred evaluations instead of 2^16.
    func testSixteenSegmentsAreEfficientAndCheap() throws {
        let explanation = try PartitionShap().explain(try ExplainFixtures.request(try ExplainFixtures.smallCNN(), backend: TestBackends.reference,
            input: ExplainFixtures.image(), segmentation: try Segmentation.grid(4, width: 8, height: 8), target: 1))
        print("partition, 16 segments: \(explanation.samples) evaluations, efficiency gap \(explanation.efficiencyGap)")
        XCTAssertEqual(explanation.efficiencyGap, 0, accuracy: 1e-12)
        XCTAssertLessThan(explanation.samples, 1 << 16)
        XCTAssertEqual(explanation.metrics["depth"], 2)
    }

    func testOpenCLAgreesWithReference() throws {
        let model = try ExplainFixtures.smallCNN()
        let segmentation = try Segmentation.grid(4, width: 8, height: 8)
        func explain(_ backend: any Backend) throws -> Explanation {
            try PartitionShap().explain(try ExplainFixtures.request(model, backend: backend, input: ExplainFixtures.image(),
                                                                    segmentation: segmentation, target: 0))
        }
        let reference = try explain(TestBackends.reference)
        for backend in try TestBackends.openCLBackends() {
            let explanation = try explain(backend)
            XCTAssertLessThan(attributionError(explanation.values, reference.values), 1e-4, "\(backend.name) [\(backend.variant)]")
        }
    }

    func testTreeShapes() throws {
        // 3x3 grid: rows and columns split 2 + 1.
        let grid = SegmentTree(try Segmentation.grid(3, width: 8, height: 8))
        XCTAssertEqual(grid.nodes[0].segments, 0b1_1111_1111)
        XCTAssertEqual(grid.nodes[0].children.map { grid.nodes[$0].segments }, [0b1_1011, 0b10_0100, 0b1100_0000, 0b1_0000_0000])
        XCTAssertEqual(grid.depth, 2)
        XCTAssertEqual(SegmentTree(try Segmentation.grid(8, width: 8, height: 8)).depth, 3)
        // A segment map that is no grid: halves of the ids, {0,1,2} and {3,4,5}, then {0,1} and {2}.
        let map = SegmentTree(try Segmentation.map((0..<64).map { p in min((p / 8) / 3, 2) * 2 + min((p % 8) / 4, 1) }, width: 8, height: 8))
        XCTAssertEqual(map.nodes[0].children.map { map.nodes[$0].segments }, [0b111, 0b111_000])
        XCTAssertEqual(map.depth, 3)
        // Each node's children partition its segments.
        for node in grid.nodes where !node.children.isEmpty {
            XCTAssertEqual(node.children.reduce(0) { $0 | grid.nodes[$1].segments }, node.segments)
            XCTAssertEqual(node.children.reduce(0) { $0 + grid.nodes[$1].segments.nonzeroBitCount }, node.segments.nonzeroBitCount)
        }
    }
}
