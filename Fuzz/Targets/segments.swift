// Fuzz target `segments`: the text of `glassbox explain --segments` (`grid:G`,
// `superpixels:N`, anything else) parsed for an image whose size and pixels come from the
// first bytes: width and height 1 to 48, then the text as UTF-8 (invalid bytes replaced).
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegments(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = ByteReader(fuzzInput(bytes, size))
    let width = Int(reader.byte() % 48) + 1, height = Int(reader.byte() % 48) + 1
    let seed = reader.byte()
    let text = String(decoding: reader.rest(), as: UTF8.self)
    // A smooth image with an edge, varied by the seed byte, so superpixels have something to follow.
    let image = (0 ..< width * height).map { index -> Float in
        let x = index % width, y = index / width
        return Float((x * Int(seed) + y * 7) % 256) / 255
    }
    guard let segmentation = expectingGlassboxError("parse '\(text)'", {
        try Segmentation.parse(text, image: image, width: width, height: height)
    }) else { return 0 }
    fuzzCheck(segmentation.width == width && segmentation.height == height, "segmentation of another size")
    fuzzCheck(segmentation.segmentOfPixel.count == width * height, "one segment id per pixel")
    fuzzCheck(segmentation.count >= 1 && segmentation.segmentOfPixel.allSatisfy { (0 ..< segmentation.count).contains($0) },
                 "segment ids outside 0..<count")
    return 0
}
