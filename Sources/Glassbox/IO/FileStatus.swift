import Foundation

/// What a path names on disk, read with `stat(2)` (symlinks followed), so that readers and writers
/// can refuse folders, devices, FIFOs and sockets with a message that says which it is.
public struct FileStatus: Equatable, Sendable {
    /// The kinds of file a path can name.
    public enum Kind: String, Sendable {
        case regular = "a regular file"
        case folder = "a folder"
        case fifo = "a FIFO (named pipe)"
        case characterDevice = "a character device"
        case blockDevice = "a block device"
        case socket = "a socket"
        case other = "a special file"
    }

    public let kind: Kind
    /// The device and inode: two paths with equal identities are one file.
    public let identity: Identity
    public let byteCount: Int

    /// A file's device and inode numbers.
    public struct Identity: Hashable, Sendable {
        let device: UInt64
        let inode: UInt64
    }

    /// The status of what `path` names, following symlinks; nil when nothing is there.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` for an empty path, a symlink loop,
    ///   a path too long, or a folder on the way that cannot be searched.
    public static func of(_ path: String) throws -> FileStatus? {
        guard !path.isEmpty else { throw GlassboxError.fileAccess(path: "''", reason: "the path is empty") }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            switch code {
            case ENOENT: return nil
            case ENOTDIR: throw GlassboxError.fileAccess(path: path, reason: "a component of the path is not a folder")
            case ELOOP: throw GlassboxError.fileAccess(path: path, reason: "too many levels of symbolic links (a symlink loop)")
            case ENAMETOOLONG: throw GlassboxError.fileAccess(path: path, reason: "the path is too long")
            default: throw GlassboxError.fileAccess(path: path, reason: "cannot look it up: \(String(cString: strerror(code)))")
            }
        }
        let kind: Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .folder
        case S_IFIFO: kind = .fifo
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFSOCK: kind = .socket
        default: kind = .other
        }
        return FileStatus(kind: kind, identity: Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
                          byteCount: Int(info.st_size))
    }

    /// Checks that `path` names an existing regular file, as every reader of Glassbox needs
    /// (a FIFO or device would block or never end).
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` saying what is there instead.
    @discardableResult
    public static func requireRegularFile(_ path: String, expected: String = "a file") throws -> FileStatus {
        guard let status = try of(path) else { throw GlassboxError.fileAccess(path: path, reason: "no such file") }
        guard status.kind == .regular else {
            throw GlassboxError.fileAccess(path: path, reason: "is \(status.kind.rawValue), expected \(expected)")
        }
        return status
    }

    /// The folder part of a path: `.` for a bare name, `/` for a file at the root. (Not
    /// `NSString.deletingLastPathComponent`, which traps on one-character names on Linux.)
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// The path a write to `path` replaces: symlinks are followed to their final target (which
    /// may not exist yet), so that writing through a link replaces what it points to, not the link.
    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` for a symlink loop.
    public static func writeTarget(of path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(current, &buffer, Int(PATH_MAX))
            guard length > 0 else { return current }
            let target = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let folder = folder(of: current)
            current = target.hasPrefix("/") || folder == "." ? target : folder + "/" + target
        }
        throw GlassboxError.fileAccess(path: path, reason: "too many levels of symbolic links (a symlink loop)")
    }
}
