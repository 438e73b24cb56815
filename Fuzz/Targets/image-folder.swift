// Fuzz target `image-folder`: bytes become an image-folder data set on disk, which
// Dataset.loadImageFolder reads (gray, RGB, or as stored). The first byte chooses how many class
// folders there are (1 to 3) and whether there is a test/ split; the rest is cut at 0xFF 0x00
// pairs into files, each a PNG or PGM (by a flag byte) holding the fuzzed bytes, dealt to the
// folders in turn. Seeds hold small valid PNG and PGM images of one and of different sizes.
import Foundation
@testable import Glassbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageFolder(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = ByteReader(fuzzInput(bytes, size))
    let layout = reader.byte()
    let classCount = Int(layout % 3) + 1
    let withTest = layout & 0x80 != 0
    let rest = [UInt8](reader.rest())
    // Files separated by 0xFF 0x00, at most 8.
    var files: [[UInt8]] = [[]]
    var index = 0
    while index < rest.count {
        if rest[index] == 0xFF, index + 1 < rest.count, rest[index + 1] == 0x00, files.count < 8 {
            files.append([])
            index += 2
        } else {
            files[files.count - 1].append(rest[index])
            index += 1
        }
    }
    let root = FuzzFile.folder.appendingPathComponent("data-\(UInt32.random(in: 0 ... .max))")
    defer { try? FileManager.default.removeItem(at: root) }
    let folders = (0 ..< classCount).map { "class\($0)" } + (withTest ? ["test/class0"] : [])
    for folder in folders { try! FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true) }
    for (number, file) in files.enumerated() where !file.isEmpty {
        let name = file.first! & 1 == 0 ? "\(number).png" : "\(number).pgm"
        try! Data(file.dropFirst()).write(to: root.appendingPathComponent(folders[number % folders.count]).appendingPathComponent(name))
    }
    for channels in [nil, 1, 3] as [Int?] {
        guard let data = expectingGlassboxError("load channels \(channels.map(String.init) ?? "auto")", {
            try Dataset.loadImageFolder(root, channels: channels)
        }) else { continue }
        fuzzCheck(data.trainImages.count == data.trainCount * data.imageSize && data.testImages.count == data.testCount * data.imageSize,
                  "image values disagree with the counts")
        fuzzCheck(channels == nil || data.channels == channels, "asked for \(channels!) channels, got \(data.channels)")
        fuzzCheck(data.trainImages.allSatisfy { (0 ... 1).contains($0) }, "values outside 0...1")
    }
    return 0
}
