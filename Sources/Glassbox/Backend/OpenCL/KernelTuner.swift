import Dispatch
import Foundation

/// Searches ``KernelTuning`` for one device at one model's shapes (its Dense, Conv2D and MaxPool2D ops), the way
/// CLBlast's tuners do, and returns the winners for the ``TuningCache``.
///
/// Per ``TuningGroup``, starting from the variant's defaults, each parameter of the group is set
/// to each of its candidates in turn with the others held at the best so far (coordinate descent).
/// A candidate is timed per shape (case) of the group, each as the best of several runs after one
/// untimed run (which builds its programs); its score is the mean over the cases of its time over
/// the defaults' time, so a small training-batch GEMM counts as much as a large inference one. It
/// is kept only when its score is at least 3% below the best so far, so noise does not move a
/// parameter. Every candidate's outputs are compared with the
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
        /// Seconds of the group's ops (the sum of each case's best) with the defaults and the winners.
        public let defaultSeconds: Double
        public let tunedSeconds: Double
        /// The winners' mean over the cases of tuned time over default time (at most 1).
        public let score: Double
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

        /// Each group's mean per-shape ratio of tuned time over default time.
        public var timeRatios: [String: Double] {
            Dictionary(uniqueKeysWithValues: groups.map { ($0.group.rawValue, $0.score) })
        }
    }

    public let device: Device
    public let variant: KernelVariant
    public let options: Options

    public init(device: Device, variant: KernelVariant? = nil, options: Options = Options()) {
        self.device = device
        self.variant = variant ?? .preferred(for: device)
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
            var defaultTimes = try times(group, operands)
            var (bestTimes, bestScore) = (defaultTimes, 1.0)
            var rejected: [String] = []
            var timed = 0
            let start = best
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
                        let candidateTimes = try times(group, operands)
                        let score = zip(candidateTimes, defaultTimes).map { $0 / $1 }.reduce(0, +) / Double(defaultTimes.count)
                        timed += 1
                        if score < bestScore * 0.97 { (best, bestTimes, bestScore) = (candidate, candidateTimes, score) }
                    } catch {
                        rejected.append("\(parameter.name)=\(value): \(error)")
                    }
                }
            }
            if best != start {
                // Confirm against the group's starting point, timed alternately, so that a winner
                // found while the machine was quieter does not stand.
                var (startTimes, winnerTimes) = (defaultTimes, bestTimes)
                for _ in 0..<2 {
                    backend.retune(start)
                    startTimes = zip(startTimes, try times(group, operands)).map { min($0, $1) }
                    backend.retune(best)
                    winnerTimes = zip(winnerTimes, try times(group, operands)).map { min($0, $1) }
                }
                let score = zip(winnerTimes, startTimes).map { $0 / $1 }.reduce(0, +) / Double(startTimes.count)
                (defaultTimes, bestTimes, bestScore) = (startTimes, winnerTimes, min(score, 1))
                if score >= 0.97 { (best, bestTimes, bestScore) = (start, startTimes, 1) }
            }
            backend.retune(best)
            let changed = parameters.compactMap { parameter -> String? in
                let value = best[keyPath: parameter.keyPath]
                return value == defaults[keyPath: parameter.keyPath] ? nil : "\(parameter.name)=\(value)"
            }
            let result = GroupResult(group: group, defaultSeconds: defaultTimes.reduce(0, +), tunedSeconds: bestTimes.reduce(0, +), score: bestScore,
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
        line += String(format: "%9.3f ms -> %9.3f ms (mean time ratio per shape %.2f)  ", result.defaultSeconds * 1e3,
                       result.tunedSeconds * 1e3, result.score)
        line += result.changed.isEmpty ? "defaults kept" : result.changed.joined(separator: " ")
        line += String(format: "  (%d candidates timed, %.1f s)", result.candidatesTimed, result.searchSeconds)
        for rejection in result.rejected { line += "\n  rejected \(rejection)" }
        return line
    }

    /// The best seconds of each case of `group`.
    private func times(_ group: TuningGroup, _ operands: TuningWorkload.Operands) throws -> [Double] {
        try (0..<operands.caseCount(group)).map { index in
            _ = try operands.run(group, only: index)
            try operands.backend.synchronize()
            var best = Double.infinity
            for _ in 0..<options.repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try operands.run(group, only: index)
                try operands.backend.synchronize()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return best
        }
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
