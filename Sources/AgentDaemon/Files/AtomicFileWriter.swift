import Glibc

/// Replaces a file atomically: readers see the old content or the new, never a mix.
///
/// Each write creates a temp file in the same directory (a dot name readers ignore),
/// writes everything, fsyncs it, renames it over the target and fsyncs the directory.
/// On any error the temp file is removed and the old file stays as it was. The file's
/// mode is 0644 minus the process umask (0640 under the units' `UMask=0027`).
///
/// On tmpfs and ramfs (`/run`, where the units put the files) both fsyncs are skipped:
/// nothing there outlives a reboot however often it is synced. The file system is asked
/// of each temp file (one `fstatfs`), so a directory replaced by a mount of another kind
/// is synced as its kind needs. Files are named by their paths: a directory descriptor
/// kept per writer would cost a daemon of 10,000 agents 10,000 descriptors.
public struct AtomicFileWriter: Sendable {
    public let path: String
    public let directory: String
    private let temporaryPath: String
    private let fileSystem: any FileSystem

    public init(path: String, fileSystem: any FileSystem = POSIXFileSystem()) {
        self.path = path
        self.fileSystem = fileSystem
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        self.directory = directory.isEmpty ? "/" : directory
        temporaryPath = self.directory + "/." + name + "." + String(getpid()) + ".tmp"
    }

    /// Writes `bytes` as the file's new content; returns which file now holds it.
    @discardableResult
    public func write(_ bytes: [UInt8]) throws(FileSystemError) -> FileIdentity? {
        let fd: Int32
        do {
            fd = try fileSystem.createExclusive(temporaryPath, mode: 0o644)
        } catch  where error.code == EEXIST {
            // Left over from a write that died half-way: ours by its name (it holds our pid).
            fileSystem.remove(temporaryPath)
            fd = try fileSystem.createExclusive(temporaryPath, mode: 0o644)
        }
        let identity: FileIdentity?
        let syncMatters: Bool
        do {
            try fileSystem.writeAll(fd, bytes, path: temporaryPath)
            syncMatters = fileSystem.syncMatters(fd)
            if syncMatters { try fileSystem.sync(fd, path: temporaryPath) }
            identity = fileSystem.identity(of: fd)
            fileSystem.close(fd)
        } catch {
            fileSystem.close(fd)
            fileSystem.remove(temporaryPath)
            throw error
        }
        do {
            try fileSystem.rename(temporaryPath, path)
        } catch {
            fileSystem.remove(temporaryPath)
            throw error
        }
        if syncMatters { try fileSystem.syncDirectory(directory) }
        return identity
    }

    /// Which file the path names now, if it exists.
    public func identity() -> FileIdentity? { fileSystem.identity(at: path) }

    /// Bumps the file's mtime (the liveness heartbeat); the content is untouched.
    public func touch() throws(FileSystemError) {
        try fileSystem.touch(path)
    }

    /// Removes the file.
    public func remove() {
        fileSystem.remove(path)
    }
}
