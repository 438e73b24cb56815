@testable import Glassbox
import GlassboxTestSupport
import XCTest

final class ScratchProbeTests: XCTestCase {
    func testProbeSuperpixelConnectivity() throws {
        var bad = 0, total = 0, maxCount = 0
        for seed in 0..<150 {
            var random = SeededGenerator(seed: UInt64(seed))
            let (w, h) = [(28, 28), (20, 13), (9, 9)][seed % 3]
            let target = [4, 9, 16, 25, 49, 64][seed % 6]
            let smooth = seed % 2 == 0
            var image = random.floats(w * h, in: 0...1)
            if smooth { image = image.enumerated().map { p, v in Float(p % w) / Float(w) * 0.5 + v * 0.2 } }
            let s = try Segmentation.superpixels(target, image: image, width: w, height: h)
            maxCount = max(maxCount, s.count)
            for (segment, pixels) in s.pixelsOfSegment.enumerated() {
                total += 1
                let reached = SegmentationTests.floodFill(from: pixels[0], width: w, height: h) { s.segmentOfPixel[$0] == segment }
                if reached != pixels.count { bad += 1; if bad < 5 { print("DISCONNECTED seed \(seed) \(w)x\(h) target \(target) smooth \(smooth) segment \(segment) size \(pixels.count) reached \(reached)") } }
            }
        }
        print("PROBE bad \(bad) of \(total) segments, max count \(maxCount)")
    }
    func testProbeTableUsed() throws {
        for (name, model) in try PerturbationEngineTests.models() {
            let e = try PerturbationEngineTests().engine(backend: TestBackends.reference, model: model)
            _ = try e.evaluate([0, 1], target: 0)
            print("PROBE \(name) table \(e.usesSegmentTable)")
        }
    }
}
