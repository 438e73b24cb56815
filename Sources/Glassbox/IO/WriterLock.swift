import Foundation

/// An advisory lock held by the one process that writes a file, so that two `glassbox train` runs
/// on the same `--out` do not overwrite each other's checkpoints in turn.
///
/// The lock is `flock(2)` on a hidden file beside the target, `.<name>.lock`: the target itself
/// cannot carry it, because every atomic save renames a new inode over it. The lock file is
/// removed on ``release()``; a process that opened it just before has locked a removed file, so
/// after locking we check that the path still names the inode we hold, and retry if not.
public final class WriterLock {
    public let path: String
    private var descriptor: Int32

    /// Takes the lock for writing `target` (symlinks followed), without waiting.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` when another process holds it, or the
    ///   lock file cannot be created.
    public init(for target: String) throws {
        let resolved = try FileStatus.writeTarget(of: target)
        let url = URL(fileURLWithPath: resolved)
        path = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).lock").path
        // Only an empty regular file is ours (a lock file is never written): anything else there
        // is the user's and is neither used nor removed.
        var existing = stat()
        if lstat(path, &existing) == 0, existing.st_mode & S_IFMT != S_IFREG || existing.st_size != 0 {
            throw GlassboxError.fileAccess(path: target,
                reason: "\(path) is in the way of the lock file (it is not an empty regular file); move it away or choose another --out")
        }
        for _ in 0..<100 {
            let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard opened >= 0 else {
                throw GlassboxError.fileAccess(path: target, reason: "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
            }
            guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                close(opened)
                if code == EWOULDBLOCK {
                    throw GlassboxError.fileAccess(path: target,
                        reason: "another glassbox process is writing this file (it holds \(path)); wait for it to finish or choose another --out")
                }
                throw GlassboxError.fileAccess(path: target, reason: "cannot lock \(path): \(String(cString: strerror(code)))")
            }
            var held = stat(), named = stat()
            if fstat(opened, &held) == 0, stat(path, &named) == 0, held.st_dev == named.st_dev, held.st_ino == named.st_ino {
                descriptor = opened
                return
            }
            close(opened)   // the file was removed by its previous holder: lock the new one
        }
        throw GlassboxError.fileAccess(path: target, reason: "could not lock \(path): it kept being replaced")
    }

    /// Removes the lock file and releases the lock (also done when the lock is freed).
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
