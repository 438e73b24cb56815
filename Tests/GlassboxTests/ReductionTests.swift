import Glassbox
import GlassboxTestSupport
import XCTest

final class ReductionTests: XCTestCase {
    func testSumAgreesWithReference() throws {
        var random = SeededGenerator(seed: 11)
        for count in [1, 3, 4095, 4097, 100_003, 1_000_000] {
            try assertBackendsAgree("sum \(count)", [.input("x", [count], random.floats(count, in: 0...1)), .output("s", [1])],
                                    tolerance: 1e-6) { backend, t in try backend.sum(t["x"]!, into: t["s"]!) }
        }
        let backend = TestBackends.reference
        let s = try backend.makeTensor(shape: [1])
        try backend.sum(try backend.upload([1, 2, 3.5, -0.5], shape: [2, 2]), into: s)
        XCTAssertEqual(try backend.download(s), [6])
    }
}
