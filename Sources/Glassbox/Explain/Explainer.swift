import Foundation

/// What every explainer is given: the model on its backend, the input, what masked segments
/// show, the segments, the class to explain, and the sampling settings.
public struct ExplanationRequest {
    public let session: InferenceSession
    /// One sample of the model's input shape.
    public let input: [Float]
    /// What absent segments show: one row of the size of `input` (a baseline image), or several
    /// (a background of table rows: a coalition's value is then the mean over the rows, as shap's
    /// `Independent` masker; the perturbation methods take many rows, the gradient methods and
    /// occlusion one).
    public let baseline: [Float]
    /// The number of rows in ``baseline``.
    public var references: Int { baseline.count / max(input.count, 1) }
    public let segmentation: Segmentation
    /// The class whose output (probability) is explained.
    public let target: Int
    /// The sample budget; nil for the method's default.
    public var samples: Int?
    /// Seeds every random draw: the same seed gives the same samples and values.
    public var seed: UInt64
    /// With a tolerance T the sampling methods keep drawing, a chunk at a time, until their
    /// largest standard error is at most `T x (max - min)` of their values or the sample ceiling
    /// (``samplingCeiling(default:)``) is reached (Covert & Lee 2021's stopping rule); nil runs
    /// the budget as given.
    public var tolerance: Double?
    /// Whether the sampled methods compute ``Explanation/standardErrors`` (with a ``tolerance``
    /// they always do); false only to measure what they cost (`glassbox bench explain`).
    public var computesStandardErrors = true
    /// Whether this request needs standard errors.
    var needsStandardErrors: Bool { computesStandardErrors || tolerance != nil }

    /// - Throws: ``GlassboxError`` when the input, baseline or segments do not fit the model, or
    ///   the target is not one of its classes.
    public init(session: InferenceSession, input: [Float], baseline: [Float], segmentation: Segmentation, target: Int,
                samples: Int? = nil, seed: UInt64 = 0) throws {
        guard (0..<session.model.outputCount).contains(target) else {
            throw GlassboxError.invalidArgument(operation: "explain",
                reason: "target class \(target) is not in 0..<\(session.model.outputCount)")
        }
        if let samples {
            let limit = Self.maximumSamples(inputCount: input.count, segments: segmentation.count, classes: session.model.outputCount)
            guard samples >= 1, samples <= limit.samples else {
                throw GlassboxError.invalidArgument(operation: "explain",
                    reason: "--samples \(samples) is outside 1...\(limit.samples): \(limit.reason)")
            }
        }
        self.session = session
        self.input = input
        self.baseline = baseline
        self.segmentation = segmentation
        self.target = target
        self.samples = samples
        self.seed = seed
        _ = try makeEngine()   // validates sizes and segment count
    }

    /// The range of sample budgets any request accepts; ``maximumSamples(inputCount:segments:classes:hostBytes:)``
    /// lowers the top to what host memory holds.
    public static let sampleRange = 1...(1 << 24)

    /// The largest sample budget whose per-sample host storage fits in a quarter of the host's
    /// memory, and why. The heaviest methods per sample are the gradient methods (each sample's
    /// path point as Float and input difference as Double: 12 bytes per input value) and the
    /// regression methods (a row of segments as Doubles, a coalition, the model's outputs).
    public static func maximumSamples(inputCount: Int, segments: Int, classes: Int,
                                      hostBytes: UInt64 = ProcessInfo.processInfo.physicalMemory) -> (samples: Int, reason: String) {
        let bytesPerSample = max(12 * inputCount, 8 * (segments + 2) + 4 * classes + 8)
        let budget = Int(min(hostBytes / 4, UInt64(Int.max)))
        let byMemory = budget / max(bytesPerSample, 1)
        if byMemory < sampleRange.upperBound {
            return (max(byMemory, 1), "each sample takes about \(bytesPerSample) bytes on the host for this model, and the budget is a quarter of the \(String(format: "%.1f", Double(hostBytes) / 1_073_741_824)) GiB of memory")
        }
        return (sampleRange.upperBound, "at most 2^24 samples per method and image")
    }

    /// The most samples a method may use: `samples` when given; otherwise the method's
    /// `default`, or with a ``tolerance`` ten times it (within ``maximumSamples(inputCount:segments:classes:hostBytes:)``).
    public func samplingCeiling(default budget: Int) -> Int {
        if let samples { return samples }
        guard tolerance != nil else { return budget }
        let limit = Self.maximumSamples(inputCount: input.count, segments: segmentation.count, classes: session.model.outputCount)
        return min(10 * budget, limit.samples)
    }

    /// The evaluations a ``tolerance`` run adds per round: a quarter of the method's `default`
    /// budget (at least 256), within one of the engine's device chunks, so that an easy input
    /// stops soon after the errors are small enough and every round is one sweep.
    public func toleranceRound(default budget: Int, engine: PerturbationEngine) -> Int {
        min(engine.chunkSize, max(256, budget / 4))
    }

    /// The baseline of a method that takes one row (the gradient methods, occlusion).
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` when the request has a
    ///   background of several rows.
    public func singleBaseline(for method: String) throws -> [Float] {
        guard references == 1 else {
            throw GlassboxError.invalidArgument(operation: method,
                reason: "takes one baseline row, not a background of \(references) (give it one row, e.g. the background's mean)")
        }
        return baseline
    }

    /// A perturbation engine over this request's input, baseline and segments.
    public func makeEngine(chunkSize: Int? = nil) throws -> PerturbationEngine {
        try PerturbationEngine(session: session, input: input, baseline: baseline, segmentation: segmentation, chunkSize: chunkSize)
    }

    /// Image size, for per-pixel maps.
    public var width: Int { segmentation.width }
    public var height: Int { segmentation.height }
}

/// An explanation method: it turns a request into an ``Explanation``. Explainers run on the
/// ``Backend`` protocol through ``InferenceSession`` and ``PerturbationEngine``, never on OpenCL
/// directly, so every method works and agrees on every backend.
public protocol Explainer {
    /// The name used by `--method`, e.g. `exact`.
    var name: String { get }
    func explain(_ request: ExplanationRequest) throws -> Explanation
}

/// Wall-clock seconds of `body`.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = Date()
    let result = try body()
    return (result, Date().timeIntervalSince(start))
}
