/// When to write the state file: at once when the last write is old enough, else once
/// at the end of the spacing window, so that a burst of N changes costs at most one
/// write per window while the final state is always written.
///
/// Pure: instants come in, decisions go out; the publisher owns the timer.
struct WriteScheduler<Instant: InstantProtocol<Duration>>: Sendable where Instant: Sendable {
    /// What to do about a change.
    enum Decision: Equatable {
        /// Write now.
        case writeNow
        /// Start a timer; write when it fires.
        case writeAt(Instant)
        /// A write is already scheduled and will include this change.
        case alreadyScheduled
    }

    /// The least time between two writes.
    let spacing: Duration
    private(set) var lastWrite: Instant?
    private(set) var scheduled: Instant?

    init(spacing: Duration) {
        self.spacing = spacing
    }

    /// The content changed at `now`.
    mutating func changed(at now: Instant) -> Decision {
        if scheduled != nil { return .alreadyScheduled }
        guard let lastWrite, now < lastWrite.advanced(by: spacing) else { return .writeNow }
        let due = lastWrite.advanced(by: spacing)
        scheduled = due
        return .writeAt(due)
    }

    /// A write happened at `now` (scheduled or not).
    mutating func wrote(at now: Instant) {
        lastWrite = now
        scheduled = nil
    }

    /// The timer of a scheduled write fired (whether or not anything is written then).
    mutating func timerFired() {
        scheduled = nil
    }

    /// A write was attempted and failed; the next change or retry decides again.
    mutating func failed() {
        scheduled = nil
    }
}
