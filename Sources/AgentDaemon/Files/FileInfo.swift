import Glibc

/// Small, blocking file helpers on POSIX calls, for configuration and credentials.
public enum FileInfo {
    /// Why a file could not be read.
    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The permission bits and file type of `path`, or `nil` when it cannot be examined.
    public static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode
    }

    /// The modification time of `path` in seconds since the epoch.
    public static func modificationTime(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }

    /// Reads at most `limit` bytes of a regular file; more is an error.
    public static func read(_ path: String, limit: Int) throws(ReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(description: errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ReadError(description: errnoText()) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ReadError(description: "is not a regular file (a FIFO, a device or a directory); name a file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: errnoText())
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            if bytes.count > limit { throw ReadError(description: "larger than \(limit) bytes") }
        }
        return bytes
    }

    /// Reads a secret file of at most `limit` bytes: opened without following a symbolic
    /// link (`O_NOFOLLOW`), then checked on the open descriptor (`fstat`, so that the file
    /// checked is the file read) with `check`, which returns why it refuses, if it does.
    /// The read buffer is zeroed once copied; the caller zeroes what it gets back.
    public static func readSecret(
        _ path: String, limit: Int, check: (stat) -> String?
    ) throws(ReadError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; what is not a
        // regular file is refused just below, before anything is read.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            throw ReadError(description: errno == ELOOP ? "is a symbolic link; name the file itself" : errnoText())
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ReadError(description: errnoText()) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ReadError(description: "is not a regular file (a FIFO, a device or a directory); name a file")
        }
        if let refusal = check(info) { throw ReadError(description: refusal) }
        var chunk = [UInt8](repeating: 0, count: limit + 1)
        defer { chunk.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } } }
        var filled = 0
        while filled < chunk.count {
            let count = chunk.withUnsafeMutableBytes {
                Glibc.read(fd, $0.baseAddress.map { $0 + filled }, $0.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: errnoText())
            }
            if count == 0 { break }
            filled += count
        }
        guard filled <= limit else { throw ReadError(description: "larger than \(limit) bytes") }
        return Array(chunk[0..<filled])
    }

    /// The names, without `suffix`, of the entries of `directory` that end in `suffix` and
    /// do not begin with a dot (temporary files), at most `limit` + 1 of them (so that a
    /// caller can tell "too many"); `nil` when the directory cannot be listed (`errno` says why).
    public static func names(in directory: String, endingIn suffix: String, limit: Int) -> [String]? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(suffix), !name.hasPrefix(".") else { continue }
            names.append(String(name.dropLast(suffix.count)))
            if names.count > limit { break }
        }
        return names
    }

    /// The text of the current `errno`.
    public static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}
