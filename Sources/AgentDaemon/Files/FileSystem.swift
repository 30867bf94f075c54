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

/// The POSIX calls the state-file and metrics writers make.
///
/// ``POSIXFileSystem`` is the real one; tests substitute one that fails on demand, to
/// show that a full disk or a read-only directory is survived even when tests run as root.
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

public protocol FileSystem: Sendable {
    /// Creates `path` exclusively for writing with `mode` (the umask applies); returns the descriptor.
    func createExclusive(_ path: String, mode: mode_t) throws(FileSystemError) -> Int32
    /// Writes every byte, retrying short writes and interruptions.
    func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError)
    func sync(_ fd: Int32, path: String) throws(FileSystemError)
    /// Whether fsync makes the open file `fd` (and its directory) more durable: not on
    /// tmpfs or ramfs, which keep nothing across a reboot however often they are synced.
    func syncMatters(_ fd: Int32) -> Bool
    func close(_ fd: Int32)
    func rename(_ from: String, _ to: String) throws(FileSystemError)
    /// fsyncs a directory so that a rename inside it is durable.
    func syncDirectory(_ path: String) throws(FileSystemError)
    /// Removes `path`, ignoring errors.
    func remove(_ path: String)
    /// Sets the access and modification times of `path` to now.
    func touch(_ path: String) throws(FileSystemError)
    /// Which file `fd` is.
    func identity(of fd: Int32) -> FileIdentity?
    /// Which file `path` names (not following a symbolic link), if it exists.
    func identity(at path: String) -> FileIdentity?
}

/// The real file system.
public struct POSIXFileSystem: FileSystem {
    public init() {}

    public func createExclusive(_ path: String, mode: mode_t) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
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

    public func syncMatters(_ fd: Int32) -> Bool {
        // Unknown (fstatfs failed): sync, as on a disk.
        gws_fd_on_memory_filesystem(fd) != 1
    }

    public func close(_ fd: Int32) { _ = Glibc.close(fd) }

    public func rename(_ from: String, _ to: String) throws(FileSystemError) {
        guard Glibc.rename(from, to) == 0 else { throw FileSystemError("rename", to, code: errno) }
    }

    public func syncDirectory(_ path: String) throws(FileSystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open", path, code: errno) }
        defer { _ = Glibc.close(fd) }
        // Some file systems (and tmpfs on old kernels) refuse fsync on a directory; the
        // rename is then as durable as the file system makes it.
        if fsync(fd) != 0, errno != EINVAL, errno != EROFS { throw FileSystemError("fsync", path, code: errno) }
    }

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
}
