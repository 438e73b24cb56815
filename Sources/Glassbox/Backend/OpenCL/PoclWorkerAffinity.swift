import Foundation

/// Pins PoCL's worker threads, one to each CPU, when that is safe.
///
/// PoCL runs a kernel's work-groups on one worker thread per CPU. Left unpinned, a launch of a few
/// work-groups often ran them all on one CPU while the other idled (most likely because the
/// woken worker was placed on its waker's CPU; not traced). On the 2-vCPU AMD EPYC
/// machines this project runs on, the batch-32 Dense forward GEMM (32x5408x128, four
/// work-groups) took 0.57 ms in most runs unpinned and 0.29 ms pinned, and its weight gradient
/// 0.33-0.73 ms against 0.31-0.37 ms (`glassbox bench kernels`, `POCL_AFFINITY=0` against `1`).
///
/// PoCL pins worker *i* to CPU *i* under `POCL_AFFINITY=1`, whatever the process's affinity
/// mask: under `taskset` (or an MPI rank bound to one core) worker 0 then runs outside the
/// user's set, and where the system refuses the pinning (a container's cpuset) PoCL's checked
/// `pthread_setaffinity_np` ends the process. So Glassbox sets it only when the variable is
/// unset and the process may run on every CPU the machine has; a user's own `POCL_AFFINITY`
/// (`0` to turn it off) always wins. Beside it Glassbox sets ``marker``, so that a Glassbox
/// process started by this one (a test, an MPI rank) decides again for its own CPUs instead of
/// taking the inherited value for the user's.
enum PoclWorkerAffinity {
    /// Set to `1` beside `POCL_AFFINITY=1` when Glassbox, not the user, set it.
    static let marker = "GLASSBOX_SET_POCL_AFFINITY"

    /// What was decided for this process, for `glassbox devices`.
    enum Decision: Equatable, CustomStringConvertible {
        /// Glassbox set `POCL_AFFINITY=1`.
        case pinned(cpus: Int)
        /// The user's `POCL_AFFINITY` was left as it was.
        case userSetting(String)
        /// Not pinned: the process may not run on every CPU (`allowed` of `cpus`).
        case restricted(allowed: Int, cpus: Int)

        var description: String {
            switch self {
            case .pinned(let cpus): return "PoCL workers pinned to CPUs 0-\(cpus - 1) (POCL_AFFINITY=1; set POCL_AFFINITY=0 to turn off)"
            case .userSetting(let value): return "PoCL workers as POCL_AFFINITY=\(value) says"
            case .restricted(let allowed, let cpus): return "PoCL workers not pinned: this process may run on \(allowed) of the \(cpus) CPUs"
            }
        }
    }

    /// Decides, and sets `POCL_AFFINITY=1` when it pins; called once, before the first OpenCL call.
    static func apply() -> Decision {
        // getenv, not ProcessInfo: read and written here before any OpenCL call.
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        let value = variable("POCL_AFFINITY")
        let inherited = value == "1" && variable(marker) == "1"
        if let value, !inherited { return .userSetting(value) }
        let cpus = max(sysconf(Int32(_SC_NPROCESSORS_CONF)), sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1)
        let allowed = allowedCPUs()
        guard let allowed, mayPin(allowed: allowed, cpuCount: cpus) else {
            if inherited { unsetenv("POCL_AFFINITY"); unsetenv(marker) }
            return .restricted(allowed: allowed?.count ?? 0, cpus: cpus)
        }
        setenv("POCL_AFFINITY", "1", 1)
        setenv(marker, "1", 1)
        return .pinned(cpus: cpus)
    }

    /// Whether pinning worker i to CPU i is allowed for every worker PoCL may start (at most one
    /// per CPU): every CPU index below `cpuCount` is in `allowed`.
    static func mayPin(allowed: Set<Int>, cpuCount: Int) -> Bool {
        cpuCount > 0 && (0..<cpuCount).allSatisfy(allowed.contains)
    }

    /// The CPUs this process may run on (`Cpus_allowed_list` in `/proc/self/status`, which is the
    /// affinity mask of the thread that reads it), or nil when it cannot be read.
    static func allowedCPUs() -> Set<Int>? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return parseCPUList(line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces))
    }

    /// A Linux CPU list such as `0-3,6,8-9` as a set, or nil when it is not one.
    static func parseCPUList(_ text: String) -> Set<Int>? {
        var cpus = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(bounds.count), let low = bounds.first!, let high = bounds.last!, 0 <= low, low <= high, high < 1 << 16 else {
                return nil
            }
            cpus.formUnion(low...high)
        }
        return cpus
    }
}
