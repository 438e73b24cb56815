import Foundation

/// Keeps PoCL (OpenCL on the CPU) from ending the process when it cannot write files.
///
/// Every `clBuildProgram` from source on PoCL 3.1 first writes about 1 MB of preprocessed source
/// to its cache folder, then the compiled kernel (up to a few MB); this holds with
/// `POCL_KERNEL_CACHE=0` and with a warm cache alike (measured: `ulimit -f 1000` fails every
/// build, 1,052 KiB is the least that builds Glassbox's kernels). When a file-size limit stops
/// such a write, LLVM prints `IO failure on output stream: File too large` and calls `exit(1)`
/// inside the build, so the host cannot recover. An unwritable cache folder instead fails the
/// build with `CL_OUT_OF_HOST_MEMORY`, or device enumeration with `CL_DEVICE_NOT_FOUND`.
///
/// So, before the first OpenCL call: a soft file-size limit below the hard one is raised to it;
/// a cache folder that cannot be written, or whose disk has less than
/// ``minimumFileSizeLimitBytes`` free, is replaced by a fresh temporary one (`POCL_CACHE_DIR`,
/// with `POCL_KERNEL_CACHE=0`); and opening a PoCL device under a file-size limit, or with free
/// space, below ``minimumFileSizeLimitBytes`` is refused with a message naming the limit.
enum PoclEnvironment {
    /// The smallest file-size limit under which PoCL builds are allowed: room for the ~1 MB
    /// preprocessed source and a compiled kernel several times larger.
    static let minimumFileSizeLimitBytes: UInt64 = 16 << 20

    /// Prepares the environment once per process; called before the first OpenCL call.
    static func prepare() { _ = prepared }

    /// How PoCL's worker threads are placed on CPUs (``PoclWorkerAffinity``), decided in
    /// ``prepare()``.
    static let workerAffinity = PoclWorkerAffinity.apply()

    private static let prepared: Bool = {
        _ = workerAffinity
        raiseSoftFileSizeLimit()
        let full = (freeBytes(at: cacheFolder()) ?? .max) < minimumFileSizeLimitBytes
        if !cacheFolderIsWritable() || full {
            let template = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/glassbox-pocl-XXXXXX"
            var bytes = Array(template.utf8CString)
            if let made = mkdtemp(&bytes) {
                setenv("POCL_CACHE_DIR", String(cString: made), 1)
                setenv("POCL_KERNEL_CACHE", "0", 1)
            }
        }
        return true
    }()

    /// The current (soft) file-size limit in bytes, or nil when there is none.
    static func fileSizeLimitBytes() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }   // RLIM_INFINITY is all ones
        return UInt64(limit.rlim_cur)
    }

    /// Throws when `device` is PoCL's and the file-size limit or the free space of its cache
    /// folder would make its compiler exit the process.
    static func checkFileSizeLimit(for device: Device) throws {
        guard device.isPoCL else { return }
        let folder = cacheFolder()
        if let problem = problem(fileSizeLimitBytes: fileSizeLimitBytes(), freeBytes: freeBytes(at: folder), folder: folder) {
            throw GlassboxError.deviceUnavailable(problem)
        }
    }

    /// Why PoCL cannot build kernels safely under these conditions, or nil when it can.
    static func problem(fileSizeLimitBytes limit: UInt64?, freeBytes: UInt64?, folder: String) -> String? {
        let minimum = minimumFileSizeLimitBytes
        if let limit, limit < minimum {
            return "the file-size limit (ulimit -f) is \(limit / 1024) KiB, and PoCL's kernel compiler writes files of several MB and "
                + "exits the process when it cannot; raise the limit to at least \(minimum >> 20) MiB or use --device cpu"
        }
        if let freeBytes, freeBytes < minimum {
            return "only \(freeBytes / 1024) KiB are free in \(folder), where PoCL's kernel compiler writes files of several MB "
                + "(and exits the process when it cannot); free at least \(minimum >> 20) MiB, set POCL_CACHE_DIR to a folder with room, or use --device cpu"
        }
        return nil
    }

    /// Bytes available to this user in the file system holding `folder`, when it can be read.
    static func freeBytes(at folder: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(folder, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    private static func raiseSoftFileSizeLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
    }

    /// Where PoCL writes: `POCL_CACHE_DIR`, else `$XDG_CACHE_HOME/pocl`, else `~/.cache/pocl`.
    static func cacheFolder() -> String {
        // getenv, not ProcessInfo: prepare() may have set POCL_CACHE_DIR since start-up.
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        return variable("POCL_CACHE_DIR")
            ?? variable("XDG_CACHE_HOME").map { $0 + "/pocl" }
            ?? (variable("HOME") ?? NSHomeDirectory()) + "/.cache/pocl"
    }

    /// Whether PoCL's cache folder (`POCL_CACHE_DIR`, else `$XDG_CACHE_HOME/pocl`, else
    /// `~/.cache/pocl`) exists or can be made, and takes a new file.
    private static func cacheFolderIsWritable() -> Bool {
        let folder = cacheFolder()
        guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil else { return false }
        let probe = folder + "/.glassbox-write-check-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return false }
        close(descriptor)
        unlink(probe)
        return true
    }
}
