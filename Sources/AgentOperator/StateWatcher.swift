import AgentState
import Glibc

/// Watches a state file the way systemd's own monitors watch `/run`: inotify on the
/// directory for `IN_MOVED_TO` (the daemon's atomic rename), `IN_CREATE` and `IN_DELETE`,
/// and on the parent when the directory itself is missing (before the first start, or
/// after a stop removed the runtime directory).
///
/// Ownership: the inotify descriptor is created, read and closed by ``run(_:)`` alone.
public struct StateWatcher: Sendable {
    /// What happened to the watched file.
    public enum Change: Sendable {
        /// The file has new content (or appeared).
        case updated(StateFileInspection)
        /// The file (or its directory) is gone.
        case removed
    }

    public let path: String

    public init(path: String) {
        self.path = path
    }

    private var directory: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private var fileName: String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// Calls `report` with the current state, then with every change, until `report`
    /// returns false or a fatal inotify error occurs (returned as errno).
    public func run(_ report: (Change) -> Bool) -> Int32? {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var lastSeq: (pid: Int, seq: Int)?
        var present = false
        func emitCurrent() -> Bool {
            let inspection = StateFileInspection.inspect(path)
            if case .success(let document)? = inspection.result {
                present = true
                let key = (document.pid, document.seq)
                if let lastSeq, lastSeq == key { return true }
                lastSeq = key
                return report(.updated(inspection))
            }
            if inspection.result == nil {
                if present {
                    present = false
                    return report(.removed)
                }
                return true
            }
            present = true
            return report(.updated(inspection))
        }
        var watch: Int32 = -1
        var watchingParent = false
        while true {
            if watch < 0 {
                let fileMask = UInt32(
                    IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)
                watch = inotify_add_watch(fd, directory, fileMask)
                watchingParent = false
                if watch < 0 {
                    guard errno == ENOENT else { return errno }
                    let parent = Self.parent(of: directory)
                    watch = inotify_add_watch(fd, parent, UInt32(IN_CREATE | IN_MOVED_TO))
                    watchingParent = true
                    if watch < 0 { return errno }
                }
                if !emitCurrent() { return nil }
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 1000)
            if ready < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if ready == 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 8192)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            var relevant = false
            var rewatch = false
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (mask, length, name) = buffer.withUnsafeBytes { raw -> (UInt32, Int, String) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let start = offset + MemoryLayout<inotify_event>.size
                    let nameBytes = raw[start..<min(count, start + Int(event.len))].prefix { $0 != 0 }
                    return (event.mask, Int(event.len), String(decoding: nameBytes, as: UTF8.self))
                }
                offset += MemoryLayout<inotify_event>.size + length
                if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 { rewatch = true }
                if watchingParent {
                    if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 { rewatch = true }
                } else if name == fileName {
                    relevant = true
                }
            }
            if rewatch {
                inotify_rm_watch(fd, watch)
                watch = -1
                if !emitCurrent() { return nil }
                continue
            }
            if relevant && !emitCurrent() { return nil }
        }
    }

    static func parent(of directory: String) -> String {
        guard let slash = directory.lastIndex(of: "/"), slash != directory.startIndex else { return "/" }
        return String(directory[..<slash])
    }
}
