import Glibc

/// Replaces a file atomically: readers see the old content or the new, never a mix.
///
/// Each write creates a temp file in the same directory (a dot name readers ignore),
/// writes everything, fsyncs it, renames it over the target and fsyncs the directory.
/// On any error the temp file is removed and the old file stays as it was. The file's
/// mode is 0644 minus the process umask (0640 under the units' `UMask=0027`).
///
/// The writer keeps its directory open and names the temp file and the target relative to
/// it, so a write walks the directory's path once (a `stat`, to notice a directory removed
/// or replaced since, which is then opened again) instead of three times. On tmpfs and
/// ramfs (`/run`) it skips both fsyncs, which cannot make anything outlive a reboot there.
public struct AtomicFileWriter: Sendable {
    public let path: String
    public let directory: String
    private let name: String
    private let temporaryName: String
    private let temporaryPath: String
    private let fileSystem: any FileSystem
    /// The directory as last opened; shared by copies of this writer.
    private var opened: OpenDirectory?

    public init(path: String, fileSystem: any FileSystem = POSIXFileSystem()) {
        self.path = path
        self.fileSystem = fileSystem
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        self.directory = directory.isEmpty ? "/" : directory
        temporaryName = "." + name + "." + String(getpid()) + ".tmp"
        temporaryPath = self.directory + "/" + temporaryName
    }

    /// Writes `bytes` as the file's new content; returns which file now holds it.
    @discardableResult
    public mutating func write(_ bytes: [UInt8]) throws(FileSystemError) -> FileIdentity? {
        let opened = try openedDirectory()
        let fd: Int32
        do {
            fd = try fileSystem.createExclusive(temporaryName, in: opened.fd, mode: 0o644, path: temporaryPath)
        } catch  where error.code == EEXIST {
            // Left over from a write that died half-way: ours by its name (it holds our pid).
            fileSystem.remove(temporaryName, in: opened.fd)
            fd = try fileSystem.createExclusive(temporaryName, in: opened.fd, mode: 0o644, path: temporaryPath)
        }
        let identity: FileIdentity?
        do {
            try fileSystem.writeAll(fd, bytes, path: temporaryPath)
            if opened.syncMatters { try fileSystem.sync(fd, path: temporaryPath) }
            identity = fileSystem.identity(of: fd)
            fileSystem.close(fd)
        } catch {
            fileSystem.close(fd)
            fileSystem.remove(temporaryName, in: opened.fd)
            throw error
        }
        do {
            try fileSystem.rename(temporaryName, to: name, in: opened.fd, path: path)
        } catch {
            fileSystem.remove(temporaryName, in: opened.fd)
            throw error
        }
        if opened.syncMatters { try fileSystem.syncDirectory(opened.fd, path: directory) }
        return identity
    }

    /// The directory kept open, opened again when its path names another directory (or
    /// none) since: removed and made again, or moved away.
    private mutating func openedDirectory() throws(FileSystemError) -> OpenDirectory {
        if let opened, fileSystem.directoryIdentity(at: directory) == opened.identity { return opened }
        opened = nil
        let fresh = try OpenDirectory(directory, fileSystem: fileSystem)
        opened = fresh
        return fresh
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

/// A directory a writer keeps open, and what the writer needs to know of it.
///
/// Ownership rule: the descriptor is opened in `init` and closed in `deinit`, and never
/// changes in between, so copies of a writer on any thread may share it.
final class OpenDirectory: Sendable {
    let fd: Int32
    /// Which directory it is (its device and inode, from the descriptor).
    let identity: FileIdentity?
    /// Whether fsync makes its files more durable (not on tmpfs or ramfs).
    let syncMatters: Bool
    private let fileSystem: any FileSystem

    init(_ path: String, fileSystem: any FileSystem) throws(FileSystemError) {
        fd = try fileSystem.openDirectory(path)
        identity = fileSystem.identity(of: fd)
        syncMatters = fileSystem.syncMatters(inDirectory: fd)
        self.fileSystem = fileSystem
    }

    deinit {
        fileSystem.close(fd)
    }
}
