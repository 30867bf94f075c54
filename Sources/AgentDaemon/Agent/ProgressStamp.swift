import Locking
import Timekeeping

/// The instant the session task last finished handling an input: the watchdog's proof
/// that the daemon's own loop is alive.
final class ProgressStamp: Sendable {
    private let clock: InjectedClock
    private let stamp: Locked<ContinuousClock.Instant>

    init(clock: InjectedClock) {
        self.clock = clock
        stamp = Locked(clock.now)
    }

    func touch() {
        let now = clock.now
        stamp.withLock { $0 = now }
    }

    var last: ContinuousClock.Instant { stamp.withLock { $0 } }
}
