// Fuzz target `gzip`: the bytes of a gzip file (one or more members) decompressed in memory,
// once with the default limit and once with a 64 KiB one, so the limit's code path runs too.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    let full = expectingGlassboxError("gzip") { try Gzip.decompress(data, path: "input.gz") }
    let limit = 1 << 16
    let limited = expectingGlassboxError("gzip, limit \(limit)") {
        try Gzip.decompress(data, path: "input.gz", maxOutputBytes: limit)
    }
    if let full {
        // Under the limit the two must agree; over it only the limited one may fail.
        fuzzCheck(full.count > limit ? limited == nil : limited == full, "the output limit changed the result")
        let again = expectingGlassboxError("round trip") { try Gzip.decompress(try Gzip.compress(full), path: "again.gz") }
        fuzzCheck(again == full, "compress then decompress changed the bytes")
    }
    let zlib = expectingGlassboxError("zlib") { try Zlib.inflate(data, path: "input.zlib", maxOutputBytes: limit) }
    _ = zlib
    return 0
}
