// Fuzz target `idx`: the bytes of an IDX file (plain or gzip, recognized by content) read as
// images and as labels through the public readers, which take a file.
//
// A plain input is also gzip-compressed and read again: both must give the same images (or
// both fail), since compression must not change what a file means.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    let plain = FuzzFile.write(data, name: "input.idx")
    let images = expectingGlassboxError("images") { try IDX.readImages(at: plain) }
    let labels = expectingGlassboxError("labels") { try IDX.readLabels(at: plain) }
    if let images {
        fuzzCheck(images.pixels.count == images.count * images.rows * images.columns, "pixel count disagrees with the header")
    }
    guard !Gzip.isGzip(data) else { return 0 }
    let compressed = FuzzFile.write(try! Gzip.compress(data), name: "input.idx.gz")
    let gzipImages = expectingGlassboxError("gzip images") { try IDX.readImages(at: compressed) }
    let gzipLabels = expectingGlassboxError("gzip labels") { try IDX.readLabels(at: compressed) }
    fuzzCheck(gzipImages == images, "images differ between the plain and the gzip file")
    fuzzCheck(gzipLabels == labels, "labels differ between the plain and the gzip file")
    return 0
}
