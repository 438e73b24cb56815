import Dispatch
import Foundation

/// Searches ``KernelTuning`` for one device at one model's shapes (its Dense, Conv2D and MaxPool2D ops), the way
/// CLBlast's tuners do, and returns the winners for the ``TuningCache``.
///
/// Per ``TuningGroup``, starting from the variant's defaults, each parameter of the group is set
/// to each of its candidates in turn with the others held at the best so far (coordinate descent).
/// A candidate is timed as the best of several runs of the group's ops after one untimed run
/// (which builds its programs), and is kept only when it is at least 3% faster than the best so
/// far, so noise does not move a parameter. Every candidate's outputs are compared with the
/// defaults' (`|out - ref| / |ref|` at most 1e-4); a candidate that differs, fails to build or
/// fails to launch is rejected and named in the result.
public struct KernelTuner {
    /// The search's size.
    public struct Options: Sendable {
        /// A short search: the same candidates at smaller batches (1,024 images and masks instead
        /// of 4,096 and 2,048), best of 3 timed runs instead of 7.
        public var quick: Bool
        /// The mini-batch of the training shapes.
        public var trainingBatch: Int
        /// The groups to search (all by default); the others keep their defaults.
        public var groups: Set<TuningGroup>
        public init(quick: Bool = false, trainingBatch: Int = 32, groups: Set<TuningGroup> = Set(TuningGroup.allCases)) {
            self.quick = quick
            self.trainingBatch = trainingBatch
            self.groups = groups
        }
        var inferenceBatch: Int { quick ? 1024 : 4096 }
        var perturbationMasks: Int { quick ? 1024 : 2048 }
        var repeats: Int { quick ? 3 : 7 }
    }

    /// One group's outcome.
    public struct GroupResult: Sendable {
        public let group: TuningGroup
        /// Best seconds of the group's ops with the defaults and with the winners.
        public let defaultSeconds: Double
        public let tunedSeconds: Double
        /// The winners that differ from the defaults, as `name=value`.
        public let changed: [String]
        /// Candidates rejected, with why.
        public let rejected: [String]
        public let candidatesTimed: Int
        /// Wall seconds of the group's search, program builds included.
        public let searchSeconds: Double
    }

    /// The whole search's outcome.
    public struct Result: Sendable {
        public let tuning: KernelTuning
        public let groups: [GroupResult]
        /// Wall seconds of the search.
        public let seconds: Double

        /// Each group's tuned time over its default time.
        public var timeRatios: [String: Double] {
            Dictionary(uniqueKeysWithValues: groups.map { ($0.group.rawValue, $0.tunedSeconds / $0.defaultSeconds) })
        }
    }

    public let device: Device
    public let variant: KernelVariant
    public let options: Options

    public init(device: Device, variant: KernelVariant? = nil, options: Options = Options()) {
        self.device = device
        self.variant = variant ?? (device.isGPU ? .gpu : .cpu)
        self.options = options
    }

    /// Runs the search at `model`'s shapes; `progress` gets one line per group.
    /// - Throws: ``OpenCLError`` or ``GlassboxError`` when the device cannot run the defaults.
    public func tune(model: Sequential, progress: (String) -> Void = { _ in }) throws -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let workload = try TuningWorkload(model: model, trainingBatch: options.trainingBatch,
                                          inferenceBatch: options.inferenceBatch, perturbationMasks: options.perturbationMasks)
        let defaults = KernelTuning.defaults(for: variant)
        let backend = try OpenCLBackend(device: device, tuning: defaults)
        let operands = TuningWorkload.Operands(workload: workload, backend: backend, seed: 1)
        var best = defaults
        var groups: [GroupResult] = []
        for group in TuningGroup.allCases where options.groups.contains(group) && workload.runs(group, on: variant) {
            let parameters = TunableParameter.all.filter { $0.group == group }
            let candidateLists = parameters.map { $0.candidates(for: variant) }
            guard candidateLists.contains(where: { !$0.isEmpty }) else { continue }
            let groupStart = DispatchTime.now().uptimeNanoseconds
            backend.retune(best)
            let reference = try operands.run(group).map { try backend.download($0) }
            let defaultSeconds = try time(group, operands)
            var bestSeconds = defaultSeconds
            var rejected: [String] = []
            var timed = 0
            var measured: Set<KernelTuning> = [best]
            for (parameter, candidates) in zip(parameters, candidateLists) {
                for value in candidates where value != best[keyPath: parameter.keyPath] {
                    var candidate = best
                    candidate[keyPath: parameter.keyPath] = value
                    guard measured.insert(candidate).inserted else { continue }
                    do {
                        try candidate.validate(for: device)
                        backend.retune(candidate)
                        let outputs = try operands.run(group).map { try backend.download($0) }
                        if let difference = zip(outputs, reference).map({ Self.relativeDifference($0, $1) }).max(), difference > 1e-4 {
                            rejected.append("\(parameter.name)=\(value): differs from the defaults by \(difference)")
                            continue
                        }
                        let seconds = try time(group, operands)
                        timed += 1
                        if seconds < bestSeconds * 0.97 { (best, bestSeconds) = (candidate, seconds) }
                    } catch {
                        rejected.append("\(parameter.name)=\(value): \(error)")
                    }
                }
            }
            backend.retune(best)
            let changed = parameters.compactMap { parameter -> String? in
                let value = best[keyPath: parameter.keyPath]
                return value == defaults[keyPath: parameter.keyPath] ? nil : "\(parameter.name)=\(value)"
            }
            let result = GroupResult(group: group, defaultSeconds: defaultSeconds, tunedSeconds: bestSeconds,
                                     changed: changed, rejected: rejected, candidatesTimed: timed,
                                     searchSeconds: Double(DispatchTime.now().uptimeNanoseconds - groupStart) / 1e9)
            progress(Self.describe(result))
            groups.append(result)
        }
        return Result(tuning: best, groups: groups, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// One line per group: times, winners, rejections.
    public static func describe(_ result: GroupResult) -> String {
        var line = result.group.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
        line += String(format: "%9.3f ms -> %9.3f ms (%.2fx)  ", result.defaultSeconds * 1e3, result.tunedSeconds * 1e3,
                       result.defaultSeconds / result.tunedSeconds)
        line += result.changed.isEmpty ? "defaults kept" : result.changed.joined(separator: " ")
        line += String(format: "  (%d candidates timed, %.1f s)", result.candidatesTimed, result.searchSeconds)
        for rejection in result.rejected { line += "\n  rejected \(rejection)" }
        return line
    }

    private func time(_ group: TuningGroup, _ operands: TuningWorkload.Operands) throws -> Double {
        _ = try operands.run(group)
        try operands.backend.synchronize()
        var best = Double.infinity
        for _ in 0..<options.repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try operands.run(group)
            try operands.backend.synchronize()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }

    /// `|a - b| / |b|` in the Euclidean norm (the absolute norm when `b` is zero).
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
        if !difference.isFinite { return .infinity }
        return norm > 0 ? (difference / norm).squareRoot() : difference.squareRoot()
    }
}
