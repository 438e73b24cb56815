@testable import Glassbox
import Foundation
import GlassboxTestSupport
import XCTest

/// Kernel-file programs built from source store their binaries; a later backend loads them, and a
/// damaged file, a file of another key or an absent cache falls back to the source, never to a
/// wrong program.
final class ProgramBinaryCacheTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-programs-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A fresh backend on the test device (not the shared one, whose programs are built already).
    private func freshBackend() throws -> OpenCLBackend {
        let backend = try OpenCLBackend(device: try TestBackends.openCL(.cpu).device, tuning: .defaults(for: .cpu))
        backend.programCache = ProgramBinaryCache(folder: folder)
        return backend
    }

    /// relu of random values of both signs on `backend`, checked against max(0, x).
    private func assertReluWorks(_ backend: OpenCLBackend, _ label: String) throws {
        var random = SeededGenerator(seed: 91)
        let values = random.floats(1000)
        let x = try backend.upload(values, shape: [1000])
        let y = try backend.makeTensor(shape: [1000])
        try backend.fill(y, with: .nan)
        try backend.relu(x, into: y)
        XCTAssertEqual(try backend.download(y), values.map { max($0, 0) }, label)
    }

    private func binaries() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "bin" }
    }

    func testBinariesAreStoredLoadedAndCheckedBeforeUse() throws {
        let first = try freshBackend()
        try assertReluWorks(first, "built from source")
        XCTAssertEqual(first.programBuilds[false]?.count, 1)
        XCTAssertNil(first.programBuilds[true])
        let files = try binaries()
        XCTAssertEqual(files.count, 1)

        let second = try freshBackend()
        try assertReluWorks(second, "loaded from the binary")
        XCTAssertEqual(second.programBuilds[true]?.count, 1)
        XCTAssertNil(second.programBuilds[false])

        // One byte of the binary changed: its digest no longer matches, so the source is built
        // and the file written anew, which the next backend loads again.
        var bytes = [UInt8](try Data(contentsOf: files[0]))
        bytes[bytes.count - 100] ^= 0x5A
        try Data(bytes).write(to: files[0])
        let third = try freshBackend()
        try assertReluWorks(third, "after a damaged binary")
        XCTAssertEqual(third.programBuilds[false]?.count, 1)
        let fourth = try freshBackend()
        try assertReluWorks(fourth, "after the rewrite")
        XCTAssertEqual(fourth.programBuilds[true]?.count, 1)

        // Garbage, and a cut-off file, under the program's name.
        for damaged in [Data("not a binary".utf8), Data(bytes.prefix(40))] {
            try damaged.write(to: files[0])
            let backend = try freshBackend()
            try assertReluWorks(backend, "after \(damaged.count) bytes of damage")
            XCTAssertEqual(backend.programBuilds[false]?.count, 1)
        }
    }

    func testAFileOfAnotherKeyIsNotUsed() throws {
        let cache = ProgramBinaryCache(folder: folder)
        let device = try TestBackends.openCL(.cpu).device
        let key = ProgramBinaryCache.key(device: device, source: "kernel A", options: "-D X=1")
        let other = ProgramBinaryCache.key(device: device, source: "kernel A", options: "-D X=2")
        XCTAssertNotEqual(key, other)
        cache.store(key: other, binary: [1, 2, 3])
        XCTAssertEqual(cache.load(key: other), [1, 2, 3])
        XCTAssertNil(cache.load(key: key))
        // The other key's file copied to this key's name: its header names the other key.
        let files = try binaries()
        XCTAssertEqual(files.count, 1)
        cache.store(key: key, binary: [4, 5])
        let mine = try binaries().first { $0 != files[0] }!
        try FileManager.default.removeItem(at: mine)
        try FileManager.default.copyItem(at: files[0], to: mine)
        XCTAssertNil(cache.load(key: key))
        XCTAssertEqual(cache.load(key: other), [1, 2, 3])
    }

    func testTheCacheKeepsAtMostItsLimitOfFiles() throws {
        let cache = ProgramBinaryCache(folder: folder)
        for index in 0..<(ProgramBinaryCache.maximumFiles + 7) {
            cache.store(key: "key \(index)", binary: [UInt8(index & 0xFF)])
        }
        XCTAssertEqual(try binaries().count, ProgramBinaryCache.maximumFiles)
        let last = ProgramBinaryCache.maximumFiles + 6
        XCTAssertEqual(cache.load(key: "key \(last)"), [UInt8(last & 0xFF)], "the newest file is kept")
    }

    func testLocationFollowsTheEnvironment() {
        XCTAssertNil(ProgramBinaryCache.fromEnvironment(["GLASSBOX_PROGRAM_CACHE": "none", "HOME": "/home/a"]).folder)
        XCTAssertEqual(ProgramBinaryCache.fromEnvironment(["GLASSBOX_PROGRAM_CACHE": "/tmp/p"]).folder?.path, "/tmp/p")
        XCTAssertEqual(ProgramBinaryCache.fromEnvironment(["XDG_CACHE_HOME": "/x", "HOME": "/home/a"]).folder?.path, "/x/glassbox/programs")
        XCTAssertEqual(ProgramBinaryCache.fromEnvironment(["HOME": "/home/a"]).folder?.path, "/home/a/.cache/glassbox/programs")
        XCTAssertNil(ProgramBinaryCache.fromEnvironment([:]).folder)
        // No folder: nothing stored, nothing loaded.
        let off = ProgramBinaryCache(folder: nil)
        off.store(key: "k", binary: [1])
        XCTAssertNil(off.load(key: "k"))
    }
}
