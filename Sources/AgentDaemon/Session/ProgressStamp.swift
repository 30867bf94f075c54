import Locking

/// The instant the session task last finished handling an input: the watchdog's proof
/// that the daemon's own loop is alive.
final class ProgressStamp: Sendable {
    private let stamp = Locked(ContinuousClock.now)

    func touch() { stamp.withLock { $0 = .now } }

    var last: ContinuousClock.Instant { stamp.withLock { $0 } }
}
