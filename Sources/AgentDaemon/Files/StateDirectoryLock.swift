import Glibc
import Locking

/// One daemon per state directory, for the whole life of the process: an exclusive `flock`
/// on `.gws-agentd.lock` in the directory, taken at start (and for a directory a reload
/// adds) and held until the process exits, after its last state-file write.
///
/// A second daemon on the same directory does not start, and a daemon that is stopping
/// keeps the lock until it is gone: its final documents can never overwrite those of a
/// successor. The lock file is 0600: readers, who may list the directory, cannot take it.
/// It holds the owner's pid, so that a refused second daemon can name it.
///
/// The lock is held on a read-only descriptor: a daemon holds no file in the directory open
/// for writing between writes, so the file system under it can still be remounted read-only.
///
/// Ownership: the lock descriptors are opened here and never closed; the kernel releases
/// the locks when the process ends. `Sendable` through ``Locked``.
final class StateDirectoryLocks: Sendable {
    /// The lock file's name in each state directory.
    static let fileName = ".gws-agentd.lock"

    /// Why a directory could not be locked.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        /// Another live process holds it (its pid, when the lock file names one).
        case held(directory: String, pid: Int32?)
        /// The lock file could not be opened (the directory is missing, or read-only).
        case unavailable(directory: String, errno: Int32)

        var description: String {
            switch self {
            case .held(let directory, let pid):
                let owner = pid.map { "another gws-agentd (pid \($0))" } ?? "another gws-agentd"
                return "\(owner) already runs for \(directory) (it holds \(StateDirectoryLocks.fileName))"
            case .unavailable(let directory, let code):
                return "cannot lock \(directory): \(String(cString: strerror(code)))"
            }
        }
    }

    /// The directories locked so far, with their descriptors.
    private let held = Locked<[String: Int32]>([:])

    init() {}

    /// Locks each of `directories` not locked yet. A directory another process holds is a
    /// refusal; one that cannot be opened is reported as ``Refusal/unavailable(directory:errno:)``
    /// in the second list (the caller warns: there is no writer there to race either).
    func acquire(_ directories: Set<String>) -> (refusals: [Refusal], unavailable: [Refusal]) {
        var refusals: [Refusal] = []
        var unavailable: [Refusal] = []
        for directory in directories.sorted() where held.withLock({ $0[directory] == nil }) {
            let path = (directory == "/" ? "" : directory) + "/" + Self.fileName
            let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else {
                unavailable.append(.unavailable(directory: directory, errno: errno))
                continue
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                close(fd)
                if code == EWOULDBLOCK {
                    refusals.append(.held(directory: directory, pid: Self.owner(recordedAt: path)))
                } else {
                    unavailable.append(.unavailable(directory: directory, errno: code))
                }
                continue
            }
            held.withLock { $0[directory] = fd }
            Self.record(getpid(), at: path)
        }
        return (refusals, unavailable)
    }

    /// Writes `pid` into the lock file through a descriptor closed at once (best effort:
    /// the pid only names the owner in a refusal).
    private static func record(_ pid: pid_t, at path: String) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let text = Array("\(pid)\n".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// The pid recorded in the lock file at `path`, if it holds one.
    private static func owner(recordedAt path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let digits = buffer[..<count].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return Int32(String(decoding: digits, as: UTF8.self)).flatMap { $0 > 0 ? $0 : nil }
    }

    /// The directories of every state file of `configuration`.
    static func directories(of configuration: DaemonConfiguration) -> Set<String> {
        Set(configuration.agents.map(\.stateFile).map(directory(of:))).union([configuration.stateDirectory])
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
