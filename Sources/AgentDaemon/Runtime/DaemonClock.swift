import Locking

/// The monotonic clock the session runs on: `ContinuousClock` in the daemon (its sleeps
/// kept by the executor thread under `gws-agentd run`), or time that moves only when a
/// test moves it (``ManualTime``), so that backoff, timers and the watchdog allowance can
/// be tested without waiting.
///
/// Its instants are `ContinuousClock` instants either way, so the rest of the daemon
/// (the state publisher, the watchdog) needs no generics.
public struct DaemonClock: Clock, Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// `nil` for real time.
    let manual: ManualTime?

    /// Real time.
    public static let continuous = DaemonClock(manual: nil)

    /// A clock that reads `manual` (real time when `nil`).
    public init(manual: ManualTime?) {
        self.manual = manual
    }

    public var now: Instant { manual?.now ?? ContinuousClock.now }

    public var minimumResolution: Duration { ContinuousClock().minimumResolution }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        if let manual {
            try await manual.sleep(until: deadline)
        } else if ExecutorTimer.isAvailable {
            // Under `gws-agentd run`: timed on the executor thread, not on libdispatch's.
            let delay = ContinuousClock.now.duration(to: deadline)
            if delay > .zero { try await ExecutorTimer.sleep(for: delay) } else { try Task.checkCancellation() }
        } else {
            try await ContinuousClock().sleep(until: deadline, tolerance: tolerance)
        }
    }
}

/// Time for tests: ``now`` starts at the real instant of creation and moves only through
/// ``advance(by:)``, which wakes every sleeper whose deadline it passes, in deadline order.
public final class ManualTime: Sendable {
    private struct Sleeper {
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: ContinuousClock.Instant
        var sleepers: [UInt64: Sleeper] = [:]
        /// Sleepers cancelled before they were registered.
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state: Locked<State>

    public init(start: ContinuousClock.Instant = .now) {
        state = Locked(State(now: start))
    }

    public var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// The deadlines of the tasks sleeping now, earliest first.
    public var deadlines: [ContinuousClock.Instant] {
        state.withLock { $0.sleepers.values.map(\.deadline).sorted() }
    }

    /// Moves time forward and wakes the sleepers it reaches.
    public func advance(by duration: Duration) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = state.now.advanced(by: duration)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }.sorted {
                $0.value.deadline < $1.value.deadline
            }
            for (id, _) in due { state.sleepers[id] = nil }
            return due.map(\.value.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Moves time to the earliest sleeper's deadline (if any) and wakes it; returns how far it moved.
    @discardableResult
    public func advanceToNextDeadline() -> Duration? {
        guard let next = deadlines.first else { return nil }
        let step = max(.zero, now.duration(to: next))
        advance(by: step)
        return step
    }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return sleeper }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
