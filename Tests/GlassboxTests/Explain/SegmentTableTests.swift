import Glassbox
import GlassboxTestSupport
import XCTest

final class SegmentTableTests: XCTestCase {
    /// A reference-CNN-shaped model on `side x side` images: Conv2D -> MaxPool2D -> Flatten ->
    /// Dense(16) -> Dense(3, softmax), which the table shortcut applies to.
    static func model(side: Int, padding: Padding = .valid, seed: UInt64 = 4) throws -> Sequential {
        try Sequential(inputShape: [side, side, 1], seed: seed, layers: [
            try Conv2D(filters: 4, kernelSize: (3, 3), padding: padding, activation: .relu), try MaxPool2D(2), Flatten(),
            try Dense(units: 16, activation: .relu), try Dense(units: 3, activation: .softmax),
        ])
    }

    /// The shortcut against the full forward pass, for grids, superpixels and `same` padding,
    /// on every backend.
    func testTableSweepEqualsTheFullForwardPass() throws {
        var random = SeededGenerator(seed: 40)
        let cases: [(Sequential, Segmentation)] = [
            (try Self.model(side: 12), try Segmentation.grid(4, width: 12, height: 12)),
            (try Self.model(side: 13), try Segmentation.grid(3, width: 13, height: 13)),
            (try Self.model(side: 14, padding: .same), try Segmentation.grid(3, width: 14, height: 14)),
            (try Self.model(side: 12), try Segmentation.superpixels(9, image: random.floats(144, in: 0...1), width: 12, height: 12)),
        ]
        for backend in [TestBackends.reference as any Backend] + (try TestBackends.openCLBackends()) {
            for (model, segmentation) in cases {
                let side = segmentation.width
                let input = random.floats(side * side, in: 0...1), baseline = random.floats(side * side, in: 0...0.2)
                let all: UInt64 = (1 << UInt64(segmentation.count)) - 1
                let masks: [UInt64] = (0..<70).map { _ in random.next() & all } + [0, all]
                let session = try InferenceSession(model: model, backend: backend)
                let fast = try PerturbationEngine(session: session, input: input, baseline: baseline, segmentation: segmentation, chunkSize: 32)
                let full = try PerturbationEngine(session: session, input: input, baseline: baseline, segmentation: segmentation, chunkSize: 32,
                                                  allowsSegmentTable: false)
                let a = try fast.evaluate(masks, classes: [0, 2]), b = try full.evaluate(masks, classes: [0, 2])
                XCTAssertTrue(fast.usesSegmentTable, "\(backend.name) \(segmentation.count) segments")
                XCTAssertFalse(full.usesSegmentTable)
                for c in 0..<2 {
                    XCTAssertLessThan(relativeError(a[c].map(Float.init), b[c].map(Float.init)), 1e-5,
                                      "\(backend.name): side \(side), \(segmentation.count) segments, class \(c)")
                }
            }
        }
    }

    /// Models of another shape fall back to the full pass.
    func testOtherModelsFallBack() throws {
        let model = try ExplainFixtures.smallCNN()   // Dense(8): units no multiple of 16
        let engine = try PerturbationEngine(session: try InferenceSession(model: model, backend: CPUBackend()),
                                            input: ExplainFixtures.image(), baseline: [Float](repeating: 0, count: 64),
                                            segmentation: try Segmentation.grid(2, width: 8, height: 8))
        _ = try engine.evaluate([0, 15], target: 0)
        XCTAssertFalse(engine.usesSegmentTable)
    }

    /// The table build op: parts over groups of several positions, rows of one part (straight
    /// into the table) and of several (summed from the parts), on 48 units and 5 channels.
    func testTableRowsOpAgreesWithReference() throws {
        var random = SeededGenerator(seed: 42)
        let (images, channels, positions, units) = (5, 5, 11, 48)
        let groupPositions = [[0], [1, 4, 7], [2, 3], [5, 6, 8, 9, 10]]
        let partGroups = [0, 0, 1, 2, 2, 2, 3, 1], partImages = [0, 4, 3, 1, 2, 0, 4, 2]
        for rowParts in [[[0], [1], [2], [3], [4], [5], [6], [7]], [[0, 2], [1, 2, 6], [7], [3, 4, 5], [6, 6], [5, 1]]] {
            let layout = SegmentTableLayout(channels: channels, groupPositions: groupPositions, partGroups: partGroups,
                                            partImages: partImages, rowParts: rowParts)
            XCTAssertEqual(layout.rowsAreParts, rowParts.count == 8)
            try assertBackendsAgree("segment_table_rows", [
                .input("features", [images, positions, channels], random.floats(images * positions * channels)),
                .input("weights", [positions * channels, units], random.floats(positions * channels * units)),
                .output("table", [rowParts.count, units]),
            ], tolerance: 1e-6) { backend, t in
                try backend.segmentTableRows(features: t["features"]!, weights: t["weights"]!, layout: layout, into: t["table"]!)
            }
        }
        let cpu = CPUBackend()
        let features = try cpu.makeTensor(shape: [images, positions * channels])
        let weights = try cpu.makeTensor(shape: [positions * channels, units]), table = try cpu.makeTensor(shape: [2, units])
        for (bad, message) in [
            (SegmentTableLayout(channels: channels, groupPositions: [[0], [11]], partGroups: [0, 1], partImages: [0, 0], rowParts: [[0], [1]]),
             "group 1's positions [11] are not all in 0..<11"),
            (SegmentTableLayout(channels: channels, groupPositions: [[0]], partGroups: [0, 0], partImages: [0, 5], rowParts: [[0], [1]]),
             "part 1 reads group 0 of 1 and image 5 of 5"),
            (SegmentTableLayout(channels: channels, groupPositions: [[0]], partGroups: [0], partImages: [0], rowParts: [[0], [1]]),
             "row 1's parts [1] are not all in 0..<1"),
        ] {
            XCTAssertThrowsError(try cpu.segmentTableRows(features: features, weights: weights, layout: bad, into: table)) {
                XCTAssertTrue("\($0)".contains(message), "\($0)")
            }
        }
    }

    func testSweepOpAgreesWithReference() throws {
        var random = SeededGenerator(seed: 41)
        let groups = [SegmentTable.Group(segments: [3], offset: 0), SegmentTable.Group(segments: [0, 5, 63], offset: 2),
                      SegmentTable.Group(segments: [1, 2], offset: 10)]
        let masks = (0..<37).map { _ in random.next() }
        try assertBackendsAgree("segment_table_sweep", [
            .input("table", [14, 32], random.floats(14 * 32)), .input("bias", [32], random.floats(32)), .output("y", [37, 32]),
        ], tolerance: 1e-6) { backend, t in
            try backend.segmentTableSweep(masks, table: t["table"]!, groups: groups, bias: t["bias"]!, into: t["y"]!)
        }
        XCTAssertThrowsError(try CPUBackend().segmentTableSweep(masks, table: try CPUBackend().makeTensor(shape: [3, 32]), groups: groups,
                                                                 bias: try CPUBackend().makeTensor(shape: [32]),
                                                                 into: try CPUBackend().makeTensor(shape: [37, 32])))
    }
}
