import Glassbox
import XCTest

final class ShardTests: XCTestCase {
    /// The parts of any count of items over any number of parts are contiguous, in order, cover
    /// every item once and differ in length by at most one.
    func testPartsCoverEveryItemOnce() {
        for items in [0, 1, 2, 7, 10, 2000, 2001] {
            for count in [1, 2, 3, 4, 7, 64] {
                let ranges = (0..<count).map { Shard(index: $0, count: count).range(of: items) }
                XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<items), "\(items) items over \(count)")
                let lengths = ranges.map(\.count)
                XCTAssertLessThanOrEqual(lengths.max()! - lengths.min()!, 1, "\(items) items over \(count): \(lengths)")
            }
        }
    }

    func testParsing() throws {
        XCTAssertEqual(try Shard(parsing: "0/1"), Shard(index: 0, count: 1))
        XCTAssertEqual(try Shard(parsing: "3/4"), Shard(index: 3, count: 4))
        for (text, words) in [("4/4", "0 to 3"), ("-1/4", "0 to 3"), ("1/0", "N must be"), ("1", "not K/N"), ("a/b", "not K/N"),
                              ("1/2/3", "not K/N"), ("", "not K/N"), ("0/9999999", "N must be")] {
            XCTAssertThrowsError(try Shard(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(words) && "\(error)".contains("--shard"), "\(text): \(error)")
            }
        }
    }

    /// `SingleProcess` is the identity for every collective.
    func testSingleProcess() throws {
        let one = SingleProcess()
        var values: [Float] = [1, 2.5]
        try one.allreduceSum(&values)
        XCTAssertEqual(values, [1, 2.5])
        XCTAssertEqual(try one.gather(Data([1, 2]), to: 0), [Data([1, 2])])
        XCTAssertEqual(one.share(of: 5), 0..<5)
    }
}
