import CFileSystem
import Glibc

/// A failed file-system call: the operation, the path and the errno.
public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32

    public init(_ operation: String, _ path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String { "\(operation) \(path): \(FileInfo.errnoText(code))" }
}

/// Which file a path or descriptor is: its device and inode. A rename keeps it; a file
/// written over by another process (its own temp file renamed in) has another.
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// The POSIX calls the state-file and metrics writers make.
///
/// ``POSIXFileSystem`` is the real one; tests substitute one that fails on demand, to
/// show that a full disk or a read-only directory is survived even when tests run as root.
/// The writers name their files relative to a directory they keep open (the `…at` calls),
/// so a write walks no path; `path` arguments name the file in errors.
public protocol FileSystem: Sendable {
    /// Opens the directory `path` for the calls below that take a directory; returns the
    /// descriptor.
    func openDirectory(_ path: String) throws(FileSystemError) -> Int32
    /// Whether fsync makes the files of the directory `fd` more durable: not on tmpfs or
    /// ramfs, which keep nothing across a reboot however often they are synced.
    func syncMatters(inDirectory fd: Int32) -> Bool
    /// Creates `name` in `directory` exclusively for writing with `mode` (the umask
    /// applies); returns the descriptor.
    func createExclusive(
        _ name: String, in directory: Int32, mode: mode_t, path: String
    ) throws(FileSystemError)
        -> Int32
    /// Writes every byte, retrying short writes and interruptions.
    func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError)
    func sync(_ fd: Int32, path: String) throws(FileSystemError)
    func close(_ fd: Int32)
    /// Renames `from` to `to`, both in `directory`; `path` is the target's.
    func rename(_ from: String, to: String, in directory: Int32, path: String) throws(FileSystemError)
    /// fsyncs the directory `fd` so that a rename inside it is durable.
    func syncDirectory(_ fd: Int32, path: String) throws(FileSystemError)
    /// Removes `name` from `directory`, ignoring errors.
    func remove(_ name: String, in directory: Int32)
    /// Removes `path`, ignoring errors.
    func remove(_ path: String)
    /// Sets the access and modification times of `path` to now.
    func touch(_ path: String) throws(FileSystemError)
    /// Which file `fd` is.
    func identity(of fd: Int32) -> FileIdentity?
    /// Which file `path` names (not following a symbolic link), if it exists.
    func identity(at path: String) -> FileIdentity?
    /// Which directory `path` names (following symbolic links, as opening it does).
    func directoryIdentity(at path: String) -> FileIdentity?
}

/// The real file system.
public struct POSIXFileSystem: FileSystem {
    public init() {}

    public func openDirectory(_ path: String) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path, code: errno) }
        return fd
    }

    public func syncMatters(inDirectory fd: Int32) -> Bool {
        // Unknown (fstatfs failed): sync, as on a disk.
        gws_fd_on_memory_filesystem(fd) != 1
    }

    public func createExclusive(
        _ name: String, in directory: Int32, mode: mode_t, path: String
    )
        throws(FileSystemError) -> Int32
    {
        let fd = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileSystemError("create", path, code: errno) }
        return fd
    }

    public func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path, code: errno)
            }
            if written == 0 { throw FileSystemError("write", path, code: EIO) }
            offset += written
        }
    }

    public func sync(_ fd: Int32, path: String) throws(FileSystemError) {
        guard fsync(fd) == 0 else { throw FileSystemError("fsync", path, code: errno) }
    }

    public func close(_ fd: Int32) { _ = Glibc.close(fd) }

    public func rename(_ from: String, to: String, in directory: Int32, path: String) throws(FileSystemError) {
        guard renameat(directory, from, directory, to) == 0 else { throw FileSystemError("rename", path, code: errno) }
    }

    public func syncDirectory(_ fd: Int32, path: String) throws(FileSystemError) {
        // Some file systems refuse fsync on a directory; the rename is then as durable as
        // the file system makes it.
        if fsync(fd) != 0, errno != EINVAL, errno != EROFS { throw FileSystemError("fsync", path, code: errno) }
    }

    public func remove(_ name: String, in directory: Int32) { _ = unlinkat(directory, name, 0) }

    public func remove(_ path: String) { _ = unlink(path) }

    public func touch(_ path: String) throws(FileSystemError) {
        guard utimensat(AT_FDCWD, path, nil, 0) == 0 else { throw FileSystemError("touch", path, code: errno) }
    }
}

extension FileSystem {
    public func identity(of fd: Int32) -> FileIdentity? {
        var info = stat()
        return fstat(fd, &info) == 0 ? FileIdentity(info) : nil
    }

    public func identity(at path: String) -> FileIdentity? {
        var info = stat()
        return lstat(path, &info) == 0 ? FileIdentity(info) : nil
    }

    public func directoryIdentity(at path: String) -> FileIdentity? {
        var info = stat()
        return stat(path, &info) == 0 ? FileIdentity(info) : nil
    }
}
