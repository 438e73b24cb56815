import Foundation

/// Writes files so that a reader never sees a half-written one: the data goes to a temporary file
/// in the same folder, is flushed to disk, and then renamed over the target in one step. If any
/// step fails the temporary file is removed and the old file is left as it was.
public enum AtomicFile {
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` naming the file and the failed step.
    public static func write(_ data: Data, to url: URL) throws {
        try write(data, to: url, injectedFailure: nil)
    }

    /// `injectedFailure`, for tests: a failure message that stands in for a failed write after half
    /// of the data, to check that the old file survives and no temporary file is left behind.
    static func write(_ data: Data, to requested: URL, injectedFailure: String?) throws {
        // Through a symlink the target is replaced, never the link; and a device, FIFO, socket
        // or folder is never replaced by a regular file (renaming over /dev/null would).
        let url = URL(fileURLWithPath: try FileStatus.writeTarget(of: requested.path))
        if let status = try FileStatus.of(url.path), status.kind != .regular {
            throw GlassboxError.fileAccess(path: requested.path, reason: "is \(status.kind.rawValue); only a regular file or a new name can be written")
        }
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw GlassboxError.fileAccess(path: url.path, reason: "cannot create a temporary file in \(folder.path): \(String(cString: strerror(errno)))")
        }
        var failure: String?
        data.withUnsafeBytes { bytes in
            var offset = 0
            let limit = injectedFailure == nil ? bytes.count : bytes.count / 2
            while offset < limit {
                let written = Foundation.write(descriptor, bytes.baseAddress! + offset, limit - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "write failed after \(offset) bytes: \(String(cString: strerror(errno)))"
                    return
                }
                offset += written
            }
            if let injectedFailure { failure = injectedFailure }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = "fsync failed: \(String(cString: strerror(errno)))" }
        if close(descriptor) != 0 && failure == nil { failure = "close failed: \(String(cString: strerror(errno)))" }
        if failure == nil && rename(temporary.path, url.path) != 0 { failure = "rename failed: \(String(cString: strerror(errno)))" }
        if failure == nil {
            // Make the rename itself durable: flush the folder's entry too.
            let folderDescriptor = open(folder.path, O_RDONLY)
            if folderDescriptor >= 0 { fsync(folderDescriptor); close(folderDescriptor) }
        }
        if let failure {
            unlink(temporary.path)
            throw GlassboxError.fileAccess(path: url.path, reason: "\(failure); the previous file, if any, is unchanged")
        }
    }
}
