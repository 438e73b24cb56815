import Foundation
import Glassbox

/// Ranks as threads of one process: a ``Communicator`` whose collectives meet at a barrier, to
/// test data-parallel code without MPI. Sums run in rank order, as a tree or ring never would:
/// results agree with MPI's up to summation order.
public final class ThreadCommunicator: Communicator {
    public let rank: Int
    private let group: Group
    public var size: Int { group.size }
    public var localRank: Int { rank }
    public var localSize: Int { group.size }

    private init(rank: Int, group: Group) {
        self.rank = rank
        self.group = group
    }

    /// Runs `body` on `ranks` threads at once, each with its own communicator, and returns their
    /// results in rank order (rethrowing the first error).
    public static func run<T>(ranks: Int, stackSize: Int = 16 << 20, _ body: @escaping (ThreadCommunicator) throws -> T) throws -> [T] {
        let group = Group(size: ranks)
        let results = Results<T>(count: ranks)
        let done = DispatchGroup()
        for rank in 0..<ranks {
            done.enter()
            let thread = Thread {
                results.set(rank, Result { try body(ThreadCommunicator(rank: rank, group: group)) })
                done.leave()
            }
            thread.stackSize = stackSize
            thread.start()
        }
        done.wait()
        return try results.all()
    }

    public func allreduceSum(_ values: inout [Float]) throws {
        let all = group.exchange(values, rank: rank) as! [[Float]]
        values = all.dropFirst().reduce(all[0]) { sum, next in zip(sum, next).map(+) }
    }

    public func allreduceSum(_ values: inout [Double]) throws {
        let all = group.exchange(values, rank: rank) as! [[Double]]
        values = all.dropFirst().reduce(all[0]) { sum, next in zip(sum, next).map(+) }
    }

    public func broadcast(_ data: inout Data, from root: Int) throws {
        data = (group.exchange(data, rank: rank) as! [Data])[root]
    }

    public func gather(_ data: Data, to root: Int) throws -> [Data] {
        let all = group.exchange(data, rank: rank) as! [Data]
        return rank == root ? all : []
    }

    /// The ranks' meeting place: each collective deposits every rank's value, waits for all,
    /// reads them, and waits again before the slots are reused.
    final class Group: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var arrived = 0
        private var generation = 0
        private var slots: [Any?]

        init(size: Int) {
            self.size = size
            slots = [Any?](repeating: nil, count: size)
        }

        func exchange(_ value: Any, rank: Int) -> [Any] {
            condition.lock()
            slots[rank] = value
            condition.unlock()
            barrier()
            condition.lock()
            let all = slots.map { $0! }
            condition.unlock()
            barrier()
            return all
        }

        private func barrier() {
            condition.lock()
            defer { condition.unlock() }
            let current = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == current { condition.wait() }
            }
        }
    }

    private final class Results<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Result<T, Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: Result<T, Error>) { lock.lock(); values[index] = value; lock.unlock() }
        func all() throws -> [T] { try values.map { try $0!.get() } }
    }
}
