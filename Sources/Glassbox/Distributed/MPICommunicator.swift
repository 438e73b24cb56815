#if MPI
import CMPI
import Foundation

/// ``Communicator`` over Open MPI (built with the `MPI` trait): `MPI_COMM_WORLD` for the job,
/// and a shared-memory split of it (`MPI_Comm_split_type`) for the ranks of one machine.
///
/// Every MPI error is fatal to the job (MPI's default handler), so a rank never continues past a
/// failed collective; a rank that dies makes `mpirun` stop the others.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let localRank: Int
    public let localSize: Int
    private let world = glassbox_mpi_comm_world()

    /// Whether this process was started by `mpirun` (Open MPI's or a PMIx launcher's variables).
    public static func isLaunched(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Initialises MPI (once per process) and reads this rank's place in the job.
    public init() {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 { MPI_Init(nil, nil) }
        var rank: Int32 = 0, size: Int32 = 1
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        var node = glassbox_mpi_comm_null()
        MPI_Comm_split_type(world, glassbox_mpi_comm_type_shared(), rank, glassbox_mpi_info_null(), &node)
        var localRank: Int32 = 0, localSize: Int32 = 1
        MPI_Comm_rank(node, &localRank)
        MPI_Comm_size(node, &localSize)
        MPI_Comm_free(&node)
        (self.rank, self.size, self.localRank, self.localSize) = (Int(rank), Int(size), Int(localRank), Int(localSize))
    }

    /// Ends MPI for this process: after the job's last collective, on every rank.
    public func finish() { MPI_Finalize() }

    /// Stops every rank of the job with `code` (after a rank's error, so the others do not wait
    /// in a collective forever).
    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    private static func count(_ n: Int, _ what: String) throws -> Int32 {
        guard let count = Int32(exactly: n) else {
            throw GlassboxError.invalidArgument(operation: "MPI", reason: "\(what) of \(n) elements exceeds MPI's 2^31 - 1 per call")
        }
        return count
    }

    public func allreduceSum(_ values: inout [Float]) throws { try allreduceSum(&values, type: glassbox_mpi_float()) }

    public func allreduceSum(_ values: inout [Double]) throws { try allreduceSum(&values, type: glassbox_mpi_double()) }

    /// `MPI_Allreduce` with `MPI_SUM`, in place, of elements of `type` (the MPI datatype of `Element`).
    private func allreduceSum<Element: Numeric>(_ values: inout [Element], type: MPI_Datatype) throws {
        let n = try Self.count(values.count, "an allreduce")
        values.withUnsafeMutableBufferPointer { buffer in
            _ = MPI_Allreduce(UnsafeRawPointer(glassbox_mpi_in_place()), buffer.baseAddress, n, type, glassbox_mpi_sum(), world)
        }
    }

    public func broadcast(_ data: inout Data, from root: Int) throws {
        var length = Int64(data.count)
        MPI_Bcast(&length, 1, glassbox_mpi_long_long(), Int32(root), world)
        let n = try Self.count(Int(length), "a broadcast")
        var bytes = rank == root ? [UInt8](data) : [UInt8](repeating: 0, count: Int(length))
        bytes.withUnsafeMutableBufferPointer { buffer in
            _ = MPI_Bcast(buffer.baseAddress, n, glassbox_mpi_byte(), Int32(root), world)
        }
        data = Data(bytes)
    }

    public func gather(_ data: Data, to root: Int) throws -> [Data] {
        var length = Int64(data.count)
        var lengths = [Int64](repeating: 0, count: rank == root ? size : 1)
        MPI_Gather(&length, 1, glassbox_mpi_long_long(), &lengths, 1, glassbox_mpi_long_long(), Int32(root), world)
        let total = rank == root ? lengths.reduce(0, +) : 0
        _ = try Self.count(Int(total), "a gather")
        var counts = try lengths.map { try Self.count(Int($0), "a gather") }
        var offsets = [Int32](repeating: 0, count: counts.count)
        for i in counts.indices.dropFirst() { offsets[i] = offsets[i - 1] + counts[i - 1] }
        var all = [UInt8](repeating: 0, count: max(Int(total), 1))
        let bytes = [UInt8](data)
        let n = try Self.count(bytes.count, "a gather")
        bytes.withUnsafeBufferPointer { input in
            all.withUnsafeMutableBufferPointer { output in
                _ = MPI_Gatherv(input.baseAddress, n, glassbox_mpi_byte(), output.baseAddress, &counts, &offsets,
                                glassbox_mpi_byte(), Int32(root), world)
            }
        }
        guard rank == root else { return [] }
        return counts.indices.map { Data(all[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
    }
}
#endif
