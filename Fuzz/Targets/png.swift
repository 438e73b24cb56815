// Fuzz target `png`, two kinds of input, told apart by the first byte:
//
// - A PNG file (first byte 0x89, the signature's): decoded as it is, and decoded again with
//   every chunk's CRC recomputed, so that mutations inside chunks (IHDR fields, chunk order,
//   lengths) get past the CRC check to the code behind it.
// - Anything else: 3 bytes of IHDR choices (width, height, color type) and then raw scanlines
//   (filter bytes and samples), which the harness cuts or pads with zeros to the size the IHDR
//   needs (unless bit 7 of the third byte is set), compresses and wraps in a valid PNG, so the
//   unfiltering and color conversion see arbitrary filter types and samples.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = fuzzInput(bytes, size)
    if data.first == 0x89 {
        decode(data, "file")
        let repaired = FuzzPNG.withRepairedCRCs(data)
        if repaired != data { decode(repaired, "file, CRCs repaired") }
    } else {
        var reader = ByteReader(data)
        let width = Int(reader.byte() % 32) + 1, height = Int(reader.byte() % 32) + 1
        let colorTypes: [UInt8] = [0, 2, 4, 6, 3, 1]  // the last two are refused
        let choice = reader.byte()
        let colorType = colorTypes[Int(choice & 0x7F) % colorTypes.count]
        var scanlines = reader.rest()
        if choice & 0x80 == 0 {
            let channels = [0: 1, 2: 3, 4: 2, 6: 4][colorType] ?? 1
            let needed = height * (width * channels + 1)
            scanlines = scanlines.prefix(needed) + Data(count: max(0, needed - scanlines.count))
        }
        decode(FuzzPNG.file(width: width, height: height, colorType: colorType, scanlines: scanlines),
               "\(width)x\(height) color type \(colorType), \(scanlines.count) scanline bytes")
    }
    return 0
}

private func decode(_ data: Data, _ what: String) {
    guard let image = expectingGlassboxError(what, { try PNG.decodeGray(data, path: "input.png") }) else { return }
    fuzzCheck(image.pixels.count == image.width * image.height, "\(what): pixel count disagrees with the size")
    // A decoded image must survive our own encoder and decoder unchanged.
    let encoded = try! PNG.encodeGray(image)
    fuzzCheck(try! PNG.decodeGray(encoded, path: "again.png") == image, "\(what): encode then decode changed the image")
    // The colour reading of the same file decodes too, three samples per pixel.
    let color = try! PNG.decodeRGB(data, path: "input.png")
    fuzzCheck(color.width == image.width && color.height == image.height && color.rgb.count == 3 * image.width * image.height,
              "\(what): the RGB reading disagrees with the gray one")
}

enum FuzzPNG {
    /// `data` with the CRC of every complete chunk after the signature set to the right value.
    static func withRepairedCRCs(_ data: Data) -> Data {
        var bytes = [UInt8](data)
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = bytes[offset ..< offset + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= bytes.count - offset - 12 else { break }
            let crc = Zlib.crc32(of: bytes[(offset + 4) ..< (offset + 8 + length)])
            for index in 0 ..< 4 { bytes[offset + 8 + length + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * index)) }
            offset += 12 + length
        }
        return Data(bytes)
    }

    /// A PNG with the given IHDR fields (bit depth 8) whose IDAT holds `scanlines`, compressed.
    static func file(width: Int, height: Int, colorType: UInt8, scanlines: Data) -> Data {
        var data = Data(PNG.signature)
        func bigEndian(_ value: Int) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        func chunk(_ type: String, _ body: Data) {
            var typeAndBody = Data(type.utf8)
            typeAndBody.append(body)
            data.append(contentsOf: bigEndian(body.count))
            data.append(typeAndBody)
            data.append(contentsOf: bigEndian(Int(Zlib.crc32(of: typeAndBody))))
        }
        chunk("IHDR", Data(bigEndian(width) + bigEndian(height) + [8, colorType, 0, 0, 0]))
        chunk("IDAT", try! Zlib.deflate(scanlines))
        chunk("IEND", Data())
        return data
    }
}
