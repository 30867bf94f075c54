import Locking

/// Notices that a client can cause at will (bad requests, refusals, drops), at most one per
/// peer uid per interval: a flood of bad requests cannot push the audit lines of real
/// operations past journald's rate limit. What was not logged is counted into the next.
final class ThrottledNotices: Sendable {
    private struct Entry {
        var last: ContinuousClock.Instant
        var suppressed: Int
    }

    private let interval: Duration
    private let entries = Locked<[UInt32: Entry]>([:])

    init(interval: Duration = .seconds(60)) {
        self.interval = interval
    }

    /// Whether a notice about `uid` may be logged at `now`; when it may, how many were held
    /// back since the last one. Entries older than the interval are forgotten as they go, so
    /// the table holds only the uids of the last interval.
    func admit(uid: UInt32, now: ContinuousClock.Instant) -> (admitted: Bool, suppressed: Int) {
        entries.withLock { entries in
            if entries.count > 1024 { entries = entries.filter { $0.value.last.duration(to: now) < interval } }
            if let entry = entries[uid], entry.last.duration(to: now) < interval {
                entries[uid]?.suppressed += 1
                return (false, 0)
            }
            let suppressed = entries[uid]?.suppressed ?? 0
            entries[uid] = Entry(last: now, suppressed: 0)
            return (true, suppressed)
        }
    }
}
