import Foundation

/// Checks the files a command will write before it does any work, so that a long training run or
/// a whole `--global` sweep never ends on "cannot write", and an output never destroys an input.
///
/// Each output must be a regular file or absent (a symlink counts as its target, which a write
/// replaces), in an existing folder where a file can really be created (tried by creating and
/// removing a temporary file, since `access(2)` says yes to root on a read-only or `/proc`
/// folder), and must not be the same file as any input or as another output: the same device and
/// inode when both exist, else the same resolved path.
public struct OutputFiles {
    /// A path and the flag it came from, for messages.
    public struct Entry: Sendable {
        public let flag: String
        public let path: String
        public init(flag: String, path: String) {
            self.flag = flag
            self.path = path
        }
    }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming the flag, the path
    ///   and what is wrong.
    public static func check(outputs: [Entry], inputs: [Entry] = []) throws {
        var inputIdentities: [FileStatus.Identity: Entry] = [:], inputPaths: [String: Entry] = [:]
        for input in inputs where !input.path.isEmpty {
            guard let key = try? key(of: input.path) else { continue }
            if let identity = key.status?.identity { inputIdentities[identity] = input }
            inputPaths[key.resolvedPath] = input
        }
        var outputIdentities: [FileStatus.Identity: Entry] = [:], outputPaths: [String: Entry] = [:]
        var checkedFolders = Set<String>()
        for output in outputs {
            func refuse(_ reason: String) -> GlassboxError {
                .invalidArgument(operation: output.flag, reason: "\(output.path.isEmpty ? "''" : output.path): \(reason)")
            }
            guard !output.path.isEmpty else { throw refuse("the path is empty") }
            let outputKey: Key
            do {
                outputKey = try key(of: output.path)
            } catch let error as GlassboxError {
                if case let .fileAccess(_, reason) = error { throw refuse(reason) }
                throw error
            }
            if let status = outputKey.status, status.kind != .regular {
                throw refuse("is \(status.kind.rawValue); an output must be a regular file or a new name")
            }
            let folder = FileStatus.folder(of: outputKey.target)
            if !checkedFolders.contains(folder) {
                try checkWritableFolder(folder, refuse: refuse)
                checkedFolders.insert(folder)
            }
            if let clash = (outputKey.status?.identity).flatMap({ inputIdentities[$0] }) ?? inputPaths[outputKey.resolvedPath] {
                throw refuse("is the same file as the input \(clash.flag) \(clash.path); choose another output")
            }
            if let clash = (outputKey.status?.identity).flatMap({ outputIdentities[$0] }) ?? outputPaths[outputKey.resolvedPath] {
                throw refuse("is the same file as the output \(clash.flag) \(clash.path); give each output its own file")
            }
            if let identity = outputKey.status?.identity { outputIdentities[identity] = output }
            outputPaths[outputKey.resolvedPath] = output
        }
    }

    /// Creates and removes a temporary file in `folder`.
    static func checkWritableFolder(_ folder: String, refuse: (String) -> GlassboxError) throws {
        guard let status = try? FileStatus.of(folder) else { throw refuse("the folder \(folder) does not exist") }
        guard status.kind == .folder else { throw refuse("\(folder) is \(status.kind.rawValue), not a folder") }
        let probe = folder + "/.glassbox-write-check-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw refuse("cannot create a file in the folder \(folder): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        unlink(probe)
    }

    /// How paths are compared: by device and inode when the file exists, and by the resolved
    /// path of its folder plus its name (which also catches two new names for one file).
    struct Key {
        /// Where a write lands (symlinks followed) and what is there now, if anything.
        var target: String
        var status: FileStatus?
        var resolvedPath: String
    }

    /// - Throws: ``GlassboxError/fileAccess(path:reason:)`` for a symlink loop or a path that
    ///   cannot be looked up.
    static func key(of path: String) throws -> Key {
        let target = try FileStatus.writeTarget(of: path)
        let url = URL(fileURLWithPath: target)
        let folder = url.deletingLastPathComponent().resolvingSymlinksInPath().standardizedFileURL.path
        return Key(target: target, status: try FileStatus.of(target), resolvedPath: folder + "/" + url.lastPathComponent)
    }
}
