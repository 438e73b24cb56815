import ArgumentParser
import Foundation
import Glassbox
#if MPI
import CMPI
#endif

/// The job this process is part of: itself alone, or, under `mpirun` in a build with the `MPI`
/// trait, one rank of many (``MPICommunicator``).
enum Cluster {
    /// Every command's collectives go through this; a one-process job unless ``start()`` found
    /// `mpirun`.
    nonisolated(unsafe) static var communicator: any Communicator = SingleProcess()

    /// The commands that split their work over ranks; the others refuse to run on several.
    static let parallelCommands = ["explain", "train"]

    /// Whether `mpirun` (Open MPI's or a PMIx launcher's variables) started this process, and with
    /// how many ranks.
    static func launchedRanks(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        if let size = environment["OMPI_COMM_WORLD_SIZE"] { return Int(size) ?? 1 }
        if let size = environment["PMIX_SIZE"] ?? environment["PMI_SIZE"] { return Int(size) ?? 1 }
        return nil
    }

    /// Joins the MPI job when `mpirun` started this process: initialises MPI and, before any
    /// OpenCL device opens, gives each PoCL rank its share of the machine's cores
    /// (`POCL_CPU_MAX_CU_NUM` and `POCL_MAX_PTHREAD_COUNT`, unless either is set). A build
    /// without the trait under `mpirun -np N > 1` stops with an error instead of running the
    /// whole job N times.
    static func start() {
        guard let ranks = launchedRanks() else { return }
        #if MPI
        let mpi = MPICommunicator()
        communicator = mpi
        // PoCL before 4.0 reads POCL_MAX_PTHREAD_COUNT, later ones POCL_CPU_MAX_CU_NUM.
        if getenv("POCL_CPU_MAX_CU_NUM") == nil, getenv("POCL_MAX_PTHREAD_COUNT") == nil, mpi.localSize > 1 {
            let cores = String(max(1, ProcessInfo.processInfo.activeProcessorCount / mpi.localSize))
            setenv("POCL_CPU_MAX_CU_NUM", cores, 1)
            setenv("POCL_MAX_PTHREAD_COUNT", cores, 1)
        }
        #else
        if ranks > 1 {
            FileHandle.standardError.write(Data(("glassbox: started by mpirun with \(ranks) ranks, but this glassbox was built without MPI; "
                + "build it with `swift build -c release --traits MPI` (needs libopenmpi-dev), or run independent jobs with --shard K/N and `glassbox merge`\n").utf8))
            exit(2)
        }
        #endif
    }

    /// Whether this process is one rank of an MPI job (of any size).
    static var isMPI: Bool {
        #if MPI
        return communicator is MPICommunicator
        #else
        return false
        #endif
    }

    /// Ends the MPI job for this rank after its work.
    static func finish() {
        #if MPI
        (communicator as? MPICommunicator)?.finish()
        #endif
    }

    /// Reports `error` from this rank and stops every rank of the job (so none waits forever in
    /// a collective for this one).
    static func fail(_ error: Error, command: ParsableCommand.Type) -> Never {
        let code = command.exitCode(for: error)
        let message = command.fullMessage(for: error)
        if code == .success {
            if communicator.isRoot, !message.isEmpty { print(message) }
            finish()
            exit(0)
        }
        FileHandle.standardError.write(Data("glassbox (rank \(communicator.rank) of \(communicator.size)): \(message)\n".utf8))
        #if MPI
        (communicator as? MPICommunicator)?.abort(code: code.rawValue == 0 ? 1 : code.rawValue)
        #endif
        exit(code.rawValue == 0 ? 1 : code.rawValue)
    }
}

/// Sends this process's standard output to /dev/null: the ranks other than 0 of an MPI job,
/// whose lines would repeat rank 0's (errors still reach standard error).
func quietStandardOutput() {
    fflush(stdout)
    _ = freopen("/dev/null", "w", stdout)
}
