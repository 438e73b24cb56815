import Foundation
import Glassbox
import XCTest

/// Safetensors files found by fuzzing (`Fuzz/crashes/safetensors/`; ROBUSTNESS.md, "Fuzzing").
final class SafetensorsRegressionTests: XCTestCase {
    /// Found by the `safetensors` target's round trip (decode, encode, decode again): an empty
    /// tensor whose leading dimensions are larger than the data section, shape [3, 0] in a file
    /// with no data, was refused as "shape [3, 0] is too large", because the size check ran on the
    /// partial product 3 before the 0 made it empty. So `encode()` wrote files `decode` refused.
    func testEmptyTensorsRoundTripWhateverTheirOtherDimensions() throws {
        let file = Safetensors(tensors: ["w": .init(shape: [3, 0], values: []),
                                         "v": .init(shape: [1000, 7, 0, 2], values: [])])
        XCTAssertEqual(try Safetensors.decode(try file.encode(), path: "empty.safetensors"), file)
    }

    /// The input the fuzzer reduced it to: an 8-byte data section and one tensor of shape [3, 0].
    /// It decodes (the 3 fits in 8 bytes), and what it encodes to must decode too.
    func testTheFuzzerInputRoundTrips() throws {
        var header = Data(#"{"w":{"data_offsets":[0,0],"dtype":"F32","shape":[3,0]}}"#.utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }
        var data = Data((0 ..< 8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) })
        data.append(header)
        data.append(Data(count: 8))
        let file = try Safetensors.decode(data, path: "empty-tensor-round-trip.safetensors")
        XCTAssertEqual(file.tensors["w"]?.shape, [3, 0])
        XCTAssertEqual(try Safetensors.decode(try file.encode(), path: "again.safetensors"), file)
    }
}
