import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The tuning cache (keys, damage, ranges) and a short tuner run on a small model.
final class KernelTunerTests: XCTestCase {
    func temporaryFile(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-tuning-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("tuning.json")
    }

    func testCacheRoundTripAndMatchesOnlyItsDeviceDriverAndKernels() throws {
        let device = try TestBackends.openCL(.cpu).device
        let url = try temporaryFile("roundtrip")
        let tuned = TestBackends.alternativeTunings[0]
        var cache = TuningCache()
        cache.store(TuningCache.Entry(device: device, tuned: Date(), model: "test", quick: true, parameters: tuned, timeRatios: ["gemm": 0.9]))
        try cache.save(to: url)
        let loaded = try TuningCache.load(from: url)
        XCTAssertEqual(loaded, cache)
        XCTAssertEqual(loaded.entry(for: device, variant: .cpu)?.parameters, tuned)
        XCTAssertNil(loaded.entry(for: device, variant: .gpu), "a CPU-variant entry must not apply to the GPU kernels")

        let (resolved, source) = TuningSource.resolve(device: device, variant: .cpu, environment: ["GLASSBOX_TUNING_CACHE": url.path])
        XCTAssertEqual(resolved, tuned)
        guard case .cache(let path, _, true) = source else { return XCTFail("expected the cache entry, got \(source)") }
        XCTAssertEqual(path, url.path)
        XCTAssertEqual(try OpenCLBackend(device: device, tuning: tuned).tuningSource, .given)

        // Other kernels (a new Glassbox) or another driver: the defaults.
        for change in [{ (entry: inout TuningCache.Entry) in entry.kernels = "0.0.1+kernels-0" },
                       { (entry: inout TuningCache.Entry) in entry.driver += "-other" }] {
            var stale = cache
            change(&stale.entries[0])
            try stale.save(to: url)
            let (fallback, why) = TuningSource.resolve(device: device, variant: .cpu, environment: ["GLASSBOX_TUNING_CACHE": url.path])
            XCTAssertEqual(fallback, .defaults(for: .cpu))
            XCTAssertEqual(why, .defaults)
        }
        // A row written before a parameter existed reads with that parameter's default and keeps
        // the others (it then fails only on its kernels digest, as any older cache does).
        try cache.save(to: url)
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        var entries = try XCTUnwrap(json["entries"] as? [[String: Any]])
        var parameters = try XCTUnwrap(entries[0]["parameters"] as? [String: Any])
        parameters["denseBackwardFused"] = nil
        entries[0]["parameters"] = parameters
        json["entries"] = entries
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        let older = try TuningCache.load(from: url).entries[0].parameters
        XCTAssertEqual(older.denseBackwardFused, KernelTuning.defaults(for: .cpu).denseBackwardFused)
        XCTAssertEqual(older.gemmRows, tuned.gemmRows)
        XCTAssertNotEqual(tuned.denseBackwardFused, KernelTuning.defaults(for: .cpu).denseBackwardFused, "the test needs a changed value")

        // Storing again replaces the entry of the same device and driver.
        cache.store(TuningCache.Entry(device: device, tuned: Date(), model: "again", quick: false, parameters: .defaults(for: .cpu), timeRatios: [:]))
        XCTAssertEqual(cache.entries.count, 1)
        XCTAssertEqual(cache.entries[0].model, "again")
    }

    func testDamagedOrOutOfRangeCacheIsNamedAndIgnored() throws {
        let device = try TestBackends.openCL(.cpu).device
        let url = try temporaryFile("damaged")
        try Data("{\"format\": \"glassbox-tuning\", \"entries\": [{\"device\": 3".utf8).write(to: url)
        XCTAssertThrowsError(try TuningCache.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains(url.path) && "\(error)".contains("not a Glassbox tuning cache"), "\(error)")
        }
        var (tuning, source) = TuningSource.resolve(device: device, variant: .cpu, environment: ["GLASSBOX_TUNING_CACHE": url.path])
        XCTAssertEqual(tuning, .defaults(for: .cpu))
        guard case .defaultsCacheIgnored(let reason) = source else { return XCTFail("\(source)") }
        XCTAssertTrue(reason.contains(url.path), reason)

        var wild = TuningCache.Entry(device: device, tuned: Date(), model: "m", quick: false, parameters: .defaults(for: .cpu), timeRatios: [:])
        wild.parameters.gemmRows = 99
        try TuningCache(entries: [wild]).save(to: url)
        XCTAssertThrowsError(try TuningCache.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("gemmRows = 99 is outside 1...16"), "\(error)")
        }
        (tuning, source) = TuningSource.resolve(device: device, variant: .cpu, environment: ["GLASSBOX_TUNING_CACHE": url.path])
        XCTAssertEqual(tuning, .defaults(for: .cpu))

        var huge = KernelTuning.defaults(for: .cpu)
        huge.elementwiseGroup = 1024
        if device.maxWorkGroupSize < 1024 {
            XCTAssertThrowsError(try OpenCLBackend(device: device, tuning: huge))
        }
        XCTAssertNil(TuningCache.location(["GLASSBOX_TUNING_CACHE": "none"]))
        XCTAssertEqual(TuningCache.location(["HOME": "/home/u"])?.path, "/home/u/.cache/glassbox/tuning.json")
        XCTAssertEqual(TuningCache.location(["HOME": "/home/u", "XDG_CACHE_HOME": "/c"])?.path, "/c/glassbox/tuning.json")
    }

    func testQuickSearchOnASmallModelKeepsCorrectFasterOrEqualParameters() throws {
        let device = try TestBackends.openCL(.cpu).device
        let model = try Sequential(inputShape: [10, 10, 1], layers: [
            try Conv2D(filters: 16, kernelSize: 3, activation: .relu), try MaxPool2D(2), Flatten(), try Dense(units: 32, activation: .relu), try Dense(units: 3),
        ])
        let groups: Set<TuningGroup> = [.gemm, .elementwise]
        let tuner = KernelTuner(device: device, variant: .cpu, options: .init(quick: true, trainingBatch: 7, groups: groups))
        var lines: [String] = []
        let result = try tuner.tune(model: model) { lines.append($0) }
        XCTAssertEqual(Set(result.groups.map(\.group)), groups)
        XCTAssertEqual(lines.count, groups.count)
        XCTAssertNoThrow(try result.tuning.validate())
        for group in result.groups {
            XCTAssertTrue(group.rejected.isEmpty, "\(group.group): \(group.rejected)")
            XCTAssertGreaterThan(group.candidatesTimed, 0)
            XCTAssertLessThanOrEqual(group.score, 1)
            XCTAssertEqual(group.changed.isEmpty, group.score == 1, "\(group.group): \(group.changed), score \(group.score)")
        }
        // Parameters of groups not searched keep their defaults.
        let defaults = KernelTuning.defaults(for: .cpu)
        for parameter in TunableParameter.all where !groups.contains(parameter.group) {
            XCTAssertEqual(result.tuning[keyPath: parameter.keyPath], defaults[keyPath: parameter.keyPath], parameter.name)
        }
    }
}
