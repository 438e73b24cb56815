import Foundation
import GlassboxKernels

/// The tuned ``KernelTuning`` of each device, kept in one JSON file under the user's cache folder
/// (`$GLASSBOX_TUNING_CACHE`, else `$XDG_CACHE_HOME/glassbox/tuning.json`, else
/// `~/.cache/glassbox/tuning.json`).
///
/// An entry applies to a device only when the device name, the driver version and the
/// ``TuningCache/kernelsVersion`` (Glassbox's version and a digest of the kernel sources) all
/// match, so new kernels or a new driver fall back to the defaults until `glassbox tune` runs
/// again. The file is rewritten atomically: a failed write leaves the old one.
public struct TuningCache: Codable, Equatable, Sendable {
    /// One device's winners.
    public struct Entry: Codable, Equatable, Sendable {
        public var device: String
        public var driver: String
        public var kernels: String
        /// When the search ran (ISO 8601).
        public var tuned: String
        /// The model whose shapes were timed, and whether the search was `--quick`.
        public var model: String
        public var quick: Bool
        public var parameters: KernelTuning
        /// The tuned time of each kernel group over its default time (below 1 is faster).
        public var timeRatios: [String: Double]

        public init(device: Device, tuned: Date, model: String, quick: Bool, parameters: KernelTuning, timeRatios: [String: Double]) {
            self.device = device.name
            self.driver = device.driverVersion
            self.kernels = TuningCache.kernelsVersion
            self.tuned = ISO8601DateFormatter().string(from: tuned)
            self.model = model
            self.quick = quick
            self.parameters = parameters
            self.timeRatios = timeRatios
        }

        func matches(_ device: Device, variant: KernelVariant) -> Bool {
            self.device == device.name && driver == device.driverVersion && kernels == TuningCache.kernelsVersion
                && parameters.variant == variant
        }
    }

    public var format = "glassbox-tuning"
    public var entries: [Entry] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    /// Glassbox's version and a 64-bit FNV-1a digest of every kernel source, e.g. `0.15+kernels-1f2e...`.
    public static let kernelsVersion: String = {
        var hash = FNV1a.offsetBasis
        for (name, source) in KernelSource.all.sorted(by: { $0.key < $1.key }) {
            hash = FNV1a.digest((name + "\u{0}" + source + "\u{0}").utf8, continuing: hash)
        }
        return "\(GlassboxVersion.current)+kernels-" + String(hash, radix: 16)
    }()

    /// Where the cache lives for `environment`, or nil when `GLASSBOX_TUNING_CACHE` is `none`
    /// (defaults always) or no home folder is known.
    public static func location(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let path = environment["GLASSBOX_TUNING_CACHE"] {
            return path.isEmpty || path == "none" ? nil : URL(fileURLWithPath: path)
        }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return URL(fileURLWithPath: cache).appendingPathComponent("glassbox/tuning.json")
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/glassbox/tuning.json")
    }

    /// Reads the cache at `url`; an absent file is an empty cache.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming the file when it cannot
    ///   be read, is not a tuning cache, or holds a parameter outside its range.
    public static func load(from url: URL) throws -> TuningCache {
        guard FileManager.default.fileExists(atPath: url.path) else { return TuningCache() }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw GlassboxError.invalidArgument(operation: "tuning cache \(url.path)", reason: "cannot be read: \(error.localizedDescription)")
        }
        let cache: TuningCache
        do { cache = try JSONDecoder().decode(TuningCache.self, from: data) } catch {
            throw GlassboxError.invalidArgument(operation: "tuning cache \(url.path)", reason: "is not a Glassbox tuning cache (\(DecodingErrorText.describe(error)))")
        }
        guard cache.format == "glassbox-tuning" else {
            throw GlassboxError.invalidArgument(operation: "tuning cache \(url.path)", reason: "format is '\(cache.format)', not 'glassbox-tuning'")
        }
        for entry in cache.entries {
            do { try entry.parameters.validate() } catch {
                throw GlassboxError.invalidArgument(operation: "tuning cache \(url.path)", reason: "entry for \(entry.device): \(error)")
            }
        }
        return cache
    }

    /// Writes the cache to `url` atomically, creating its folder.
    public func save(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }

    /// Replaces the entry of `entry`'s device and driver (any kernels version) with `entry`.
    public mutating func store(_ entry: Entry) {
        entries.removeAll { $0.device == entry.device && $0.driver == entry.driver && $0.parameters.variant == entry.parameters.variant }
        entries.append(entry)
    }

    /// The entry that applies to `device` in `variant`, if any.
    public func entry(for device: Device, variant: KernelVariant) -> Entry? {
        entries.last { $0.matches(device, variant: variant) }
    }
}

/// Where an ``OpenCLBackend``'s kernel parameters came from.
public enum TuningSource: Equatable, Sendable, CustomStringConvertible {
    /// Given by the caller (tests, the tuner).
    case given
    /// The variant's defaults: no cache entry matches this device, driver and kernels.
    case defaults
    /// The defaults, because the cache file could not be used (the reason names the file).
    case defaultsCacheIgnored(String)
    /// The tuned entry of the cache file at this path, tuned at this time.
    case cache(path: String, tuned: String, quick: Bool)

    public var description: String {
        switch self {
        case .given: return "given by the caller"
        case .defaults: return "defaults (not tuned for this device, driver and kernels; run `glassbox tune`)"
        case .defaultsCacheIgnored(let reason): return "defaults (\(reason))"
        case .cache(let path, let tuned, let quick): return "tuned \(tuned)\(quick ? " (--quick)" : "") from \(path)"
        }
    }

    /// The parameters for `device` in `variant`: the matching cache entry, else the defaults.
    public static func resolve(device: Device, variant: KernelVariant,
                        environment: [String: String] = ProcessInfo.processInfo.environment) -> (KernelTuning, TuningSource) {
        let defaults = KernelTuning.defaults(for: variant)
        guard let url = TuningCache.location(environment) else { return (defaults, .defaults) }
        do {
            guard let entry = try TuningCache.load(from: url).entry(for: device, variant: variant) else { return (defaults, .defaults) }
            try entry.parameters.validate(for: device)
            return (entry.parameters, .cache(path: url.path, tuned: entry.tuned, quick: entry.quick))
        } catch {
            return (defaults, .defaultsCacheIgnored("\(error)"))
        }
    }
}

extension KernelTuning {
    /// ``validate()``, and every work-group within what `device` accepts.
    func validate(for device: Device) throws {
        try validate()
        let largest = [gemmGroup, variant == .gpu ? gemmTile * gemmTile : 1, convGroup, convBackwardGroup, poolGroup,
                       perturbGroup, tableGroup, elementwiseGroup].max()!
        guard largest <= device.maxWorkGroupSize else {
            throw GlassboxError.invalidArgument(operation: "kernel tuning",
                reason: "a work-group of \(largest) exceeds \(device.name)'s largest, \(device.maxWorkGroupSize)")
        }
    }
}
