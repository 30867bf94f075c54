import FileWatch
import Foundation
import Glibc
import Locking

/// Nanoseconds of `CLOCK_MONOTONIC`: the one clock every timestamp in this benchmark uses.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Records when a file is renamed into a directory (`IN_MOVED_TO`), the way readers of the
/// state file learn of an update. A dedicated thread waits on the inotify instance (the
/// project's `FileWatch`) and stamps the events of each read as it returns.
///
/// The inotify instance is owned here and read by that thread only; ``stop()`` ends the
/// thread (it checks every 50 ms) before the instance goes.
final class DirectoryWatch: Sendable {
    private let inotify: Inotify
    private let renames = Locked<[UInt64]>([])
    private let stopping = Locked(false)
    private let done = Locked(false)

    /// Watches `directory` for renames onto `name`.
    init?(directory: String, name: String) {
        guard let inotify = Inotify(), inotify.add(directory, mask: UInt32(IN_MOVED_TO)) >= 0 else { return nil }
        self.inotify = inotify
        let thread = Thread { [self] in readEvents(name: name) }
        thread.start()
    }

    /// The rename timestamps seen so far.
    var timestamps: [UInt64] { renames.withLock { $0 } }

    /// Ends the reading thread.
    func stop() {
        stopping.withLock { $0 = true }
        while !done.withLock({ $0 }) { usleep(1_000) }
    }

    private func readEvents(name: String) {
        while !stopping.withLock({ $0 }) {
            guard let events = inotify.read(timeout: 50) else { break }
            let stamp = monotonicNanoseconds()
            let seen = events.filter { $0.name == name }.count
            if seen > 0 { renames.withLock { $0 += Array(repeating: stamp, count: seen) } }
        }
        done.withLock { $0 = true }
    }
}
