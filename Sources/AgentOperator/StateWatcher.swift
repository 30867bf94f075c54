import AgentDaemon
import AgentState
import FileWatch
import Glibc

/// Watches a state file the way systemd's own monitors watch `/run`: inotify on the
/// directory for `IN_MOVED_TO` (the daemon's atomic rename), `IN_CREATE` and `IN_DELETE`,
/// and on the parent when the directory itself is missing (before the first start, or
/// after a stop removed the runtime directory).
///
/// Ownership: the inotify instance is made, read and dropped by ``run(_:)`` alone.
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
        guard let inotify = Inotify() else { return errno }
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
                watch = inotify.add(directory, mask: fileMask)
                watchingParent = false
                if watch < 0 {
                    guard errno == ENOENT else { return errno }
                    watch = inotify.add(Self.parent(of: directory), mask: UInt32(IN_CREATE | IN_MOVED_TO))
                    watchingParent = true
                    if watch < 0 { return errno }
                }
                if !emitCurrent() { return nil }
            }
            guard let events = inotify.read(timeout: 1000) else { return errno }
            var relevant = false
            var rewatch = false
            for event in events {
                if event.mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 { rewatch = true }
                if watchingParent {
                    if event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 { rewatch = true }
                } else if event.name == fileName {
                    relevant = true
                }
            }
            if rewatch {
                inotify.remove(watch)
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
