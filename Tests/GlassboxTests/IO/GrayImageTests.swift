import Foundation
import Glassbox
import XCTest

final class GrayImageTests: XCTestCase {
    private let image = GrayImage(width: 3, height: 2, pixels: [0, 51, 102, 153, 204, 255])

    func testLoadsPNGAndPGMByContent() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        // Names that lie about the format: the first bytes decide.
        let png = folder.appendingPathComponent("really-a-png.pgm")
        let pgm = folder.appendingPathComponent("really-a-pgm.png")
        try PNG.encodeGray(image).write(to: png)
        try PGM.encode(image).write(to: pgm)
        XCTAssertEqual(try GrayImage.load(from: png), image)
        XCTAssertEqual(try GrayImage.load(from: pgm), image)
    }

    func testUnknownFormatNamesAcceptedFormats() throws {
        let folder = try IOFixtures.temporaryFolder(self)
        let gif = folder.appendingPathComponent("picture.gif")
        try Data("GIF89a\u{1}\u{0}".utf8).write(to: gif)
        assertThrowsGlassboxError(try GrayImage.load(from: gif),
                                  containing: ["picture.gif", "unrecognized image format", "47 49 46 38", "PNG", "PGM"])
        assertThrowsGlassboxError(try GrayImage.load(from: folder.appendingPathComponent("absent.png")),
                                  containing: ["absent.png", "no such file"])
    }

    func testFloats() {
        XCTAssertEqual(image.floats(), [0, 0.2, 0.4, 0.6, 0.8, 1])
    }
}
