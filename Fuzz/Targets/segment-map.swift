// Fuzz target `segment-map`: the bytes of an image file as `glassbox explain --segments FILE`
// reads it: `GrayImage.load` recognizes PNG or PGM by content and decodes it, then
// `Segmentation.map` turns its gray values into segment ids. The map is also tried against a
// size it does not have, as happens when it does not fit the explained image.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegmentMap(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzFile.write(fuzzInput(bytes, size), name: "segments-input")
    guard let map = expectingGlassboxError("load", { try GrayImage.load(from: url) }) else { return 0 }
    let values = map.pixels.map(Int.init)
    if let segmentation = expectingGlassboxError("map", { try Segmentation.map(values, width: map.width, height: map.height) }) {
        fuzzCheck(segmentation.count == Set(values).count, "one segment per distinct gray value")
        fuzzCheck(segmentation.pixelsOfSegment.reduce(0) { $0 + $1.count } == values.count, "every pixel in one segment")
        let spread = segmentation.pixelMap((0 ..< segmentation.count).map(Double.init))
        fuzzCheck(spread.count == values.count, "one value per pixel")
    }
    _ = expectingGlassboxError("map, wrong size") { try Segmentation.map(values, width: map.width + 1, height: map.height) }
    return 0
}
