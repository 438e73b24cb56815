import Foundation

/// The ranks of one job and the collective operations Glassbox runs over them (Horovod's model:
/// broadcast, allreduce, gather). ``SingleProcess`` is the one-rank job every run is without
/// `mpirun`; `MPICommunicator` (built with the `MPI` trait) runs over Open MPI.
///
/// Every rank must call the same collectives in the same order with the same sizes, or the job
/// hangs: callers decide what to call from values every rank shares (arguments, data, step
/// counts), never from timing or from one rank's state.
public protocol Communicator: AnyObject {
    /// This process's rank, `0..<size`; rank 0 writes outputs and checkpoints.
    var rank: Int { get }
    /// How many ranks the job has.
    var size: Int { get }
    /// This process's rank among the ranks on its machine (which OpenCL device it takes).
    var localRank: Int { get }
    /// How many ranks run on this machine (how PoCL ranks split its cores).
    var localSize: Int { get }

    /// Replaces `values` on every rank by their elementwise sum over the ranks.
    func allreduceSum(_ values: inout [Float]) throws
    /// Replaces `values` on every rank by their elementwise sum over the ranks.
    func allreduceSum(_ values: inout [Double]) throws
    /// Replaces `data` on every rank by rank `root`'s (of any length).
    func broadcast(_ data: inout Data, from root: Int) throws
    /// Collects every rank's `data` (of any length) on `root`: all of them in rank order there,
    /// and an empty array on the other ranks.
    func gather(_ data: Data, to root: Int) throws -> [Data]
}

extension Communicator {
    /// Whether this rank writes the job's outputs.
    public var isRoot: Bool { rank == 0 }

    /// Sends rank `root`'s model, weights and optimizer state included, to every rank (the
    /// start of data-parallel training: all ranks begin from the same state).
    /// - Parameters:
    ///   - model: the model on `root`; ignored (may be nil) elsewhere.
    ///   - root: the rank that sends.
    public func broadcast(_ model: Sequential?, from root: Int) throws -> Sequential {
        var data = Data()
        if rank == root {
            guard let model else { throw GlassboxError.invalidArgument(operation: "broadcast", reason: "rank \(root) has no model to send") }
            data = try model.safetensors().encode()
        }
        try broadcast(&data, from: root)
        return try Sequential.load(safetensors: data, source: "the model broadcast by rank \(root)")
    }

    /// The ranks `0..<count` items split into `size` contiguous parts (uneven counts allowed: the
    /// first `count % size` parts get one more), and this rank's part.
    public func share(of count: Int) -> Range<Int> { Shard(index: rank, count: size).range(of: count) }
}

/// The job of one process: every collective is the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var localRank: Int { 0 }
    public var localSize: Int { 1 }
    public func allreduceSum(_ values: inout [Float]) throws {}
    public func allreduceSum(_ values: inout [Double]) throws {}
    public func broadcast(_ data: inout Data, from root: Int) throws {}
    public func gather(_ data: Data, to root: Int) throws -> [Data] { [data] }
}
