/// Part `index` of `count` of a job: which of its items (test images) one rank or one
/// independent job (`--shard K/N`, a Slurm array task, a Kubernetes indexed job) explains.
public struct Shard: Equatable, Sendable, Codable, CustomStringConvertible {
    /// This part, `0..<count` (as `SLURM_ARRAY_TASK_ID` with `--array=0-N` and Kubernetes's
    /// `JOB_COMPLETION_INDEX` count).
    public let index: Int
    /// How many parts the job has.
    public let count: Int

    /// The largest number of parts a job may have.
    public static let maximumCount = 1 << 20

    /// - Precondition: `0 <= index < count`.
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "shard \(index)/\(count)")
        self.index = index
        self.count = count
    }

    /// Parses `K/N`: part K (counted from 0) of N.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming what is wrong.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw GlassboxError.invalidArgument(operation: "--shard", reason: "'\(text)' is not K/N (part K of N, counted from 0: 0/4 to 3/4)")
        }
        guard (1...Self.maximumCount).contains(count) else {
            throw GlassboxError.invalidArgument(operation: "--shard", reason: "'\(text)': N must be 1 to \(Self.maximumCount) parts")
        }
        guard (0..<count).contains(index) else {
            throw GlassboxError.invalidArgument(operation: "--shard",
                reason: "'\(text)': K counts from 0, so part K of \(count) must be 0 to \(count - 1)")
        }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// This part of the items `0..<items`: contiguous, the first `items % count` parts one longer
    /// than the rest (so parts differ by at most one item; some are empty when `items < count`).
    public func range(of items: Int) -> Range<Int> {
        let base = items / count, extra = items % count
        let start = index * base + min(index, extra)
        return start..<(start + base + (index < extra ? 1 : 0))
    }
}
