import Locking
import Timekeeping

/// Time for tests: ``now`` starts at the real instant of creation and moves only through
/// ``advance(by:)``, which wakes every sleeper whose deadline it passes, in deadline order.
/// Give it to the code under test as `InjectedClock(time)`; nothing then waits for real
/// backoffs, hold times or retry delays.
public final class ManualTime: TimeSource {
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
        /// Sleepers woken whose tasks have not yet run past their sleep.
        var waking: Set<UInt64> = []
    }

    private let state: Locked<State>

    public init(start: ContinuousClock.Instant = .now) {
        state = Locked(State(now: start))
    }

    /// This time as a clock.
    public var clock: InjectedClock { InjectedClock(self) }

    public var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// The deadlines of the tasks sleeping now, earliest first.
    public var deadlines: [ContinuousClock.Instant] {
        state.withLock { $0.sleepers.values.map(\.deadline).sorted() }
    }

    /// How many woken sleepers' tasks have not run yet: time moved again before they do
    /// would run ahead of them (a loaded machine schedules them late, not never).
    public var wakingSleepers: Int { state.withLock { $0.waking.count } }

    /// How long from now until the earliest sleeper's deadline, if any sleeps.
    public var nextDelay: Duration? { deadlines.first.map { max(.zero, now.duration(to: $0)) } }

    /// Moves time forward and wakes the sleepers it reaches.
    public func advance(by duration: Duration) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = state.now.advanced(by: duration)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }.sorted {
                $0.value.deadline < $1.value.deadline
            }
            for (id, _) in due {
                state.sleepers[id] = nil
                state.waking.insert(id)
            }
            return due.map(\.value.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Moves time to the earliest sleeper's deadline (if any), or by `limit` when that is
    /// sooner, and wakes who is due; returns how far it moved.
    ///
    /// The limit keeps a test from leaping past a timer whose task has not registered its
    /// sleep yet (a task runs some time after it is made): such a timer, its deadline taken
    /// when it was decided, fires as soon as it registers, at most `limit` late.
    @discardableResult
    public func advanceToNextDeadline(atMost limit: Duration = .seconds(1)) -> Duration? {
        guard let next = nextDelay else { return nil }
        let step = min(next, limit)
        advance(by: step)
        return step
    }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        defer { _ = state.withLock { $0.waking.remove(id) } }
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
