import Foundation
import Glassbox
import XCTest

final class SafetensorsTests: XCTestCase {
    /// Values whose bits a float-to-text-to-float trip or a careless conversion would change.
    static let awkwardValues: [Float] = [
        -0.0, 0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity,
        Float(bitPattern: 0x7FC0_1234), 0.1, 1.0 / 3.0,
    ]

    static func sample() -> Safetensors {
        Safetensors(tensors: [
            "weights": .init(shape: [2, 7], values: awkwardValues),
            "bias": .init(shape: [3], values: [1.5, -2.25, 1e-30]),
            "scalar": .init(shape: [], values: [42]),
            "empty": .init(shape: [0, 4], values: []),
        ], metadata: ["format": "test", "notes": "{\"json\": [1, 2]} \u{00e9}\u{1F600} \"quoted\"\nnewline"])
    }

    /// A file from header text and data bytes, the header length written as given or computed.
    static func file(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> Data {
        let json = Array(header.utf8)
        let length = headerLength ?? UInt64(json.count)
        return Data((0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + json + data)
    }

    func testRoundTripKeepsShapesMetadataAndEveryBit() throws {
        let original = Self.sample()
        let decoded = try Safetensors.decode(try original.encode(), path: "sample.safetensors")
        XCTAssertEqual(decoded.metadata, original.metadata)
        XCTAssertEqual(Set(decoded.tensors.keys), Set(original.tensors.keys))
        for (name, entry) in original.tensors {
            XCTAssertEqual(decoded.tensors[name]?.shape, entry.shape, name)
            // Bit patterns, not ==: -0 == 0 and NaN != NaN would hide a changed value.
            XCTAssertEqual(decoded.tensors[name]?.values.map(\.bitPattern), entry.values.map(\.bitPattern), name)
        }
    }

    func testWriteAndReadThroughAFile() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let url = folder.appendingPathComponent("sample.safetensors")
        try Self.sample().write(to: url)
        let read = try Safetensors.read(from: url)
        XCTAssertEqual(read.tensors["weights"]?.values.map(\.bitPattern), Self.awkwardValues.map(\.bitPattern))
        XCTAssertEqual(read.metadata, Self.sample().metadata)
    }

    func testHeaderIsPaddedTo8BytesAndTensorsArePackedInNameOrder() throws {
        let data = [UInt8](try Self.sample().encode())
        let headerLength = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(data[$1]) << (8 * UInt64($1)) })
        XCTAssertEqual((8 + headerLength) % 8, 0, "data section must start 8-byte aligned")
        let headerBytes = Array(data[8..<(8 + headerLength)])
        let text = String(decoding: headerBytes, as: UTF8.self)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespaces).last, "}", "padding must be trailing spaces only")
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any])

        let names = ["bias", "empty", "scalar", "weights"]
        XCTAssertEqual(Set(header.keys), Set(names + ["__metadata__"]))
        // Keys appear sorted in the text, and the data follows the same order without gaps.
        let positions = (["__metadata__"] + names).map { text.range(of: "\"\($0)\"")!.lowerBound }
        XCTAssertEqual(positions, positions.sorted())
        var expectedBegin = 0
        for name in names {
            let entry = try XCTUnwrap(header[name] as? [String: Any], name)
            XCTAssertEqual(entry["dtype"] as? String, "F32", name)
            let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int], name)
            XCTAssertEqual(offsets[0], expectedBegin, name)
            expectedBegin = offsets[1]
        }
        XCTAssertEqual(expectedBegin, data.count - 8 - headerLength, "the data section holds exactly the tensors")
        // Little-endian float32: the first value of "bias" is 1.5 = 0x3FC00000.
        XCTAssertEqual(Array(data[(8 + headerLength)..<(12 + headerLength)]), [0x00, 0x00, 0xC0, 0x3F])
    }

    func testMalformedFilesNameTheProblem() throws {
        let path = "bad.safetensors"
        func assertMalformed(_ data: Data, _ fragments: [String], line: UInt = #line) {
            XCTAssertThrowsError(try Safetensors.decode(data, path: path), line: line) { error in
                guard case .malformedFile(let errorPath, _, _)? = error as? GlassboxError else {
                    return XCTFail("expected malformedFile, got \(error)", line: line)
                }
                XCTAssertEqual(errorPath, path, line: line)
                for fragment in fragments where !"\(error)".contains(fragment) {
                    XCTFail("\"\(error)\" does not contain \"\(fragment)\"", line: line)
                }
            }
        }
        let tensor = #""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        let eightBytes = [UInt8](repeating: 0, count: 8)

        assertMalformed(Data([1, 2, 3]), ["at byte 0", "file of 3 bytes is too short"])
        assertMalformed(Self.file(header: "{}", headerLength: 100), ["header length 100 does not fit in a file of 10 bytes"])
        assertMalformed(Self.file(header: "{not json"), ["at byte 8", "header is not valid JSON"])
        assertMalformed(Self.file(header: "[1, 2]"), ["header is not a JSON object"])
        assertMalformed(Self.file(header: #"{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: eightBytes),
                        ["tensor 'w'", "dtype F16 is not supported"])
        assertMalformed(Self.file(header: #"{"w":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}}"#, data: eightBytes),
                        ["tensor 'w'", "shape is not a list of non-negative integers"])
        assertMalformed(Self.file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eightBytes),
                        ["tensor 'w'", "shape [3] needs 12 bytes, data_offsets give 8"])
        assertMalformed(Self.file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: eightBytes),
                        ["tensor 'w'", "data_offsets is not a pair"])
        assertMalformed(Self.file(header: "{\(tensor),\"__metadata__\":{\"epochs\":3}}", data: eightBytes),
                        ["__metadata__ value of 'epochs' is not a string"])
        assertMalformed(Self.file(header: "{\(tensor),\"__metadata__\":[\"a\"]}", data: eightBytes),
                        ["__metadata__ is not an object"])
        XCTAssertNoThrow(try Safetensors.decode(Self.file(header: "{\(tensor)}", data: eightBytes), path: path),
                         "the well-formed twin of the cases above must decode")

        // A valid file cut short: the last tensor's data runs past the end.
        let whole = try Self.sample().encode()
        assertMalformed(whole.dropLast(4), ["tensor 'weights'", "runs past the end of the data section", "truncated"])
    }

    func testMissingFilesAndFoldersNameThePath() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let target = folder.appendingPathComponent("no-such-folder/model.safetensors")
        XCTAssertThrowsError(try Self.sample().write(to: target)) { error in
            guard case .fileAccess(let path, let reason)? = error as? GlassboxError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, target.path)
            XCTAssertTrue(reason.contains("no-such-folder"), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.deletingLastPathComponent().path))

        let missing = folder.appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try Safetensors.read(from: missing)) { error in
            guard case .fileAccess(let path, _)? = error as? GlassboxError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing.path)
        }
    }
}
