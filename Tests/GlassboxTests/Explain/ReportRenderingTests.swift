import Foundation
import Glassbox
import XCTest

/// The HTML report must render in a real browser: headless Chromium (Debian's `chromium`, which
/// `scripts/test.sh` installs) draws it to a PNG, and the picture must show the page's content.
/// Without Chromium the test skips, unless `GLASSBOX_REQUIRE_CHROMIUM=1` (set by `.ci/run`'s pass).
final class ReportRenderingTests: XCTestCase {
    func testReportRendersInHeadlessChromium() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            if ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_CHROMIUM"] == "1" { return XCTFail("GLASSBOX_REQUIRE_CHROMIUM=1 but no chromium") }
            throw XCTSkip("chromium is not installed")
        }
        let input = ExplainFixtures.image()
        let map = (0..<64).map { Double($0 % 8) - 3.5 }
        let explanation = Explanation(method: "exact", target: 1, baseValue: 0.1, prediction: 0.9, values: [0.5, 0.3, -0.1, 0.2],
                                      pixelMap: map, samples: 16, seconds: 0.01)
        let report = ExplanationReport(title: "render check", input: input, width: 8, height: 8, probabilities: [0.1, 0.9],
                                       classNames: ["zero", "one"], explanations: [explanation],
                                       faithfulness: ["exact": .init(deletion: [0.9, 0.5, 0.2, 0.1, 0.1], insertion: [0.1, 0.6, 0.8, 0.9, 0.9],
                                                                     deletionArea: 0.33, insertionArea: 0.7)])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-report-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("report.html"), shot = folder.appendingPathComponent("shot.png")
        try Data(try report.html().utf8).write(to: page)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder.path)/profile",
                             "--window-size=900,1200", "--screenshot=\(shot.path)", page.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let picture = try PNG.decodeGray(try Data(contentsOf: shot), path: shot.path)
        XCTAssertEqual(picture.width, 900)
        // The page is mostly white; the rendered heatmaps, images and text must add dark and
        // coloured pixels.
        let dark = picture.pixels.filter { $0 < 128 }.count
        XCTAssertGreaterThan(dark, 2000, "the screenshot looks blank")
    }
}
