import AgentDaemon
import Glibc
import Locking

/// The real file system, except that writes fail with a chosen errno while `failing` is
/// set: a full disk (ENOSPC) or a read-only directory (EROFS) that root cannot bypass.
/// It counts fsyncs, and can say that every directory is on a disk.
final class FaultyFileSystem: FileSystem {
    private let real = POSIXFileSystem()
    private let state = Locked<(failure: Int32?, attempts: Int, syncs: Int)>((nil, 0, 0))
    /// Whether to answer ``syncMatters(inDirectory:)`` with true for tmpfs as well.
    private let everyDirectoryOnDisk: Bool

    init(everyDirectoryOnDisk: Bool = false) { self.everyDirectoryOnDisk = everyDirectoryOnDisk }

    /// How many fsyncs of files and directories the writer made.
    var syncs: Int { state.withLock { $0.syncs } }

    /// Makes every create fail with `code` until called with `nil`.
    func fail(with code: Int32?) { state.withLock { $0.failure = code } }

    /// How many files the writer tried to create.
    var attempts: Int { state.withLock { $0.attempts } }

    func openDirectory(_ path: String) throws(FileSystemError) -> Int32 { try real.openDirectory(path) }
    func syncMatters(inDirectory fd: Int32) -> Bool { everyDirectoryOnDisk || real.syncMatters(inDirectory: fd) }

    func createExclusive(
        _ name: String, in directory: Int32, mode: mode_t, path: String
    )
        throws(FileSystemError) -> Int32
    {
        let failure = state.withLock { state -> Int32? in
            state.attempts += 1
            return state.failure
        }
        if let failure { throw FileSystemError("create", path, code: failure) }
        return try real.createExclusive(name, in: directory, mode: mode, path: path)
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        try real.writeAll(fd, bytes, path: path)
    }
    func sync(_ fd: Int32, path: String) throws(FileSystemError) {
        state.withLock { $0.syncs += 1 }
        try real.sync(fd, path: path)
    }
    func close(_ fd: Int32) { real.close(fd) }
    func rename(_ from: String, to: String, in directory: Int32, path: String) throws(FileSystemError) {
        try real.rename(from, to: to, in: directory, path: path)
    }
    func syncDirectory(_ fd: Int32, path: String) throws(FileSystemError) {
        state.withLock { $0.syncs += 1 }
        try real.syncDirectory(fd, path: path)
    }
    func remove(_ name: String, in directory: Int32) { real.remove(name, in: directory) }
    func remove(_ path: String) { real.remove(path) }
    func touch(_ path: String) throws(FileSystemError) {
        if let failure = state.withLock({ $0.failure }) { throw FileSystemError("touch", path, code: failure) }
        try real.touch(path)
    }
}
