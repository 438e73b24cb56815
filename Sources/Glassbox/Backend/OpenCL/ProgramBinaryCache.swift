import Foundation

/// Built programs' binaries on disk, so that a later process loads a program rather than
/// compiling it. PoCL 3.1 preprocesses the whole source (about 1 MB with its OpenCL headers) on
/// every `clBuildProgram` from source, even when its own kernel cache then hits: six programs of a
/// tabular LIME run built in 357-452 ms from source and 36-48 ms from their binaries (standard
/// machine, busy; `GLASSBOX_PROFILE=1`). Every `gemm_blocked` register tile is a program.
///
/// One file per program, named by a digest of its key, holding a header line naming the format,
/// the whole key (device, driver, platform, build options, and the length and digest of the
/// source) and a digest of the binary, then the binary. A file whose key or binary digest does
/// not match is ignored and replaced after the build from source; so is one the driver rejects.
/// Writes are atomic and their failures ignored: the cache only ever saves time.
///
/// Where: `GLASSBOX_PROGRAM_CACHE` (a folder; `none` turns the cache off), else
/// `$XDG_CACHE_HOME/glassbox/programs`, else `~/.cache/glassbox/programs`. At most
/// ``maximumFiles`` files are kept, the least recently written removed first.
struct ProgramBinaryCache {
    let folder: URL?

    static let format = "glassbox-program-binary 1"
    static let maximumFiles = 96

    /// The cache the environment asks for.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ProgramBinaryCache {
        if let path = environment["GLASSBOX_PROGRAM_CACHE"] {
            return ProgramBinaryCache(folder: path.isEmpty || path == "none" ? nil : URL(fileURLWithPath: path))
        }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return ProgramBinaryCache(folder: URL(fileURLWithPath: cache).appendingPathComponent("glassbox/programs"))
        }
        guard let home = environment["HOME"], !home.isEmpty else { return ProgramBinaryCache(folder: nil) }
        return ProgramBinaryCache(folder: URL(fileURLWithPath: home).appendingPathComponent(".cache/glassbox/programs"))
    }

    /// The key of `source` built with `options` for `device`: every input of the build.
    static func key(device: Device, source: String, options: String) -> String {
        let sourceBytes = Array(source.utf8)
        return [device.name, device.driverVersion, device.platformVersion, options,
                "source \(sourceBytes.count) bytes \(hex(FNV1a.digest(sourceBytes)))"]
            .map { $0.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "/") }
            .joined(separator: "|")
    }

    /// The binary stored under `key`, or nil when there is none or it does not check out.
    func load(key: String) -> [UInt8]? {
        guard let url = url(for: key), let data = try? Data(contentsOf: url) else { return nil }
        let bytes = [UInt8](data)
        var lines: [String] = []
        var start = 0
        while lines.count < 3 {
            guard let end = bytes[start...].firstIndex(of: 0x0A) else { return nil }
            lines.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = end + 1
        }
        let binary = Array(bytes[start...])
        guard lines[0] == Self.format, lines[1] == key, !binary.isEmpty, lines[2] == Self.hex(FNV1a.digest(binary)) else { return nil }
        return binary
    }

    /// Stores `binary` under `key`; failures are ignored.
    func store(key: String, binary: [UInt8]) {
        guard let folder, let url = url(for: key), !binary.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var data = Data((Self.format + "\n" + key + "\n" + Self.hex(FNV1a.digest(binary)) + "\n").utf8)
            data.append(contentsOf: binary)
            try AtomicFile.write(data, to: url)
            try prune(keeping: url)
        } catch {
            return
        }
    }

    private func url(for key: String) -> URL? {
        folder?.appendingPathComponent(Self.hex(FNV1a.digest(key.utf8)) + ".bin")
    }

    /// Removes the least recently written files beyond ``maximumFiles``, never `kept`.
    private func prune(keeping kept: URL) throws {
        guard let folder else { return }
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.contentModificationDateKey])
            .filter { $0.pathExtension == "bin" }
        guard files.count > Self.maximumFiles else { return }
        let dated = files.map { ($0, (try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast) }
        for (file, _) in dated.sorted(by: { $0.1 < $1.1 }).prefix(files.count - Self.maximumFiles) where file.lastPathComponent != kept.lastPathComponent {
            try? FileManager.default.removeItem(at: file)
        }
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
