import AgentDaemon
import Glibc
import Locking

/// The real file system, except that writes fail with a chosen errno while `failing` is
/// set: a full disk (ENOSPC) or a read-only directory (EROFS) that root cannot bypass.
/// It counts fsyncs, and can say that every file is on a disk.
final class FaultyFileSystem: FileSystem {
    private let real = POSIXFileSystem()
    private let state = Locked<(failure: Int32?, attempts: Int, syncs: Int)>((nil, 0, 0))
    /// Whether to answer ``syncMatters(_:)`` with true on tmpfs as well.
    private let everyFileOnDisk: Bool

    init(everyFileOnDisk: Bool = false) { self.everyFileOnDisk = everyFileOnDisk }

    /// How many fsyncs of files and directories the writer made.
    var syncs: Int { state.withLock { $0.syncs } }

    /// Makes every create fail with `code` until called with `nil`.
    func fail(with code: Int32?) { state.withLock { $0.failure = code } }

    /// How many files the writer tried to create.
    var attempts: Int { state.withLock { $0.attempts } }

    func createExclusive(_ path: String, mode: mode_t) throws(FileSystemError) -> Int32 {
        let failure = state.withLock { state -> Int32? in
            state.attempts += 1
            return state.failure
        }
        if let failure { throw FileSystemError("create", path, code: failure) }
        return try real.createExclusive(path, mode: mode)
    }

    func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        try real.writeAll(fd, bytes, path: path)
    }
    func sync(_ fd: Int32, path: String) throws(FileSystemError) {
        state.withLock { $0.syncs += 1 }
        try real.sync(fd, path: path)
    }
    func syncMatters(_ fd: Int32) -> Bool { everyFileOnDisk || real.syncMatters(fd) }
    func close(_ fd: Int32) { real.close(fd) }
    func rename(_ from: String, _ to: String) throws(FileSystemError) { try real.rename(from, to) }
    func syncDirectory(_ path: String) throws(FileSystemError) {
        state.withLock { $0.syncs += 1 }
        try real.syncDirectory(path)
    }
    func remove(_ path: String) { real.remove(path) }
    func touch(_ path: String) throws(FileSystemError) {
        if let failure = state.withLock({ $0.failure }) { throw FileSystemError("touch", path, code: failure) }
        try real.touch(path)
    }
}
