// Fuzz target `pgm`: the bytes of a PGM file (P5 binary or P2 ASCII), decoded.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPGM(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    guard let image = expectingGlassboxError("pgm", { try PGM.decode(data, path: "input.pgm") }) else { return 0 }
    fuzzCheck(image.pixels.count == image.width * image.height, "pixel count disagrees with the size")
    // What decodes must survive our own encoder and decoder unchanged.
    fuzzCheck(try! PGM.decode(PGM.encode(image), path: "again.pgm") == image, "encode then decode changed the image")
    return 0
}
