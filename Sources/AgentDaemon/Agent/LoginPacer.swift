import BayeuxCore
import Locking
import Timekeeping

/// Paces the logins of many agents' sessions: at most `concurrency` in flight at once, each
/// after a random delay of up to `jitter`, so that a daemon of 1,000 agents does not send
/// 1,000 logins to GWS in the same instant at start or after an outage.
///
/// A waiter whose task is cancelled leaves the queue at once; permits go to waiters in
/// arrival order.
public final class LoginPacer: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        /// Acquirers between taking an id and queueing (removed by a cancellation).
        var arriving: Set<UInt64> = []
        var nextID: UInt64 = 0
        var random: SplitMix64
    }

    private let state: Locked<State>
    private let jitter: Duration
    private let clock: InjectedClock

    public init(concurrency: Int, jitter: Duration, clock: InjectedClock, seed: UInt64 = 1) {
        state = Locked(State(available: max(1, concurrency), random: SplitMix64(seed: seed)))
        self.jitter = jitter
        self.clock = clock
    }

    /// Permits not held now.
    public var available: Int { state.withLock { $0.available } }

    /// Acquirers waiting for a permit.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits for the jitter and a permit; `false` when the task was cancelled meanwhile
    /// (no permit is then held). Every `true` must be matched by one ``release()``.
    public func acquire() async -> Bool {
        let (id, delay) = state.withLock { state -> (UInt64, Duration) in
            let id = state.nextID
            state.nextID += 1
            state.arriving.insert(id)
            guard jitter > .zero else { return (id, .zero) }
            let nanoseconds = UInt64(jitter / .nanoseconds(1))
            return (id, .nanoseconds(Int64(state.random.next() % (nanoseconds + 1))))
        }
        if delay > .zero {
            do {
                try await clock.sleep(for: delay)
            } catch {
                state.withLock { _ = $0.arriving.remove(id) }
                return false
            }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> Bool? in
                    guard state.arriving.remove(id) != nil else { return false }
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                state.arriving.remove(id)
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }

    /// Gives a permit back: to the longest waiter, or to the pool.
    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
