import Locking
import Timekeeping

/// One timer for the heartbeats of every agent of the daemon, in place of one sleeping
/// task per agent.
///
/// Each registration beats every `interval`, never late: the ticker sleeps until the
/// earliest beat due and then gives every beat due within `slack` of that instant, so that
/// 10,000 agents' beats, spread over their interval, cost about one wake-up per `slack`
/// rather than one timer, one task and (for an agent on another thread) one cross-thread
/// wake-up each. A beat given early is early by at most `slack`; the next one is due one
/// interval after the one it replaced, so beats do not drift. After a stall (a suspended
/// machine), a beat is due no sooner than half an interval on: no burst.
///
/// Work per wake-up is one pass over the registrations (a beat's share: interval / slack
/// registrations looked at, constant in N).
public final class HeartbeatTicker: Sendable {
    /// A beat's registration, for ``cancel(_:)``.
    public struct Registration: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct Entry {
        var due: InjectedClock.Instant
        let interval: Duration
        let beat: @Sendable () -> Void
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        /// When the sleeping task wakes, if one sleeps.
        var wake: InjectedClock.Instant?
        var sleeper: Task<Void, Never>?
        /// Counts sleeps, so that a sleep replaced by an earlier one gives nothing.
        var generation: UInt64 = 0
        /// Registrations looked at by wake-ups so far (for the test of work per beat).
        var visited = 0
        var beats = 0
    }

    private let state = Locked(State())
    private let clock: InjectedClock
    private let slack: Duration

    public init(clock: InjectedClock, slack: Duration = .seconds(1)) {
        self.clock = clock
        self.slack = slack
    }

    /// Calls `beat` every `interval`, the first time one interval from now, until
    /// ``cancel(_:)``. `beat` runs on the ticker's task and must only hand the beat over.
    public func register(interval: Duration, beat: @escaping @Sendable () -> Void) -> Registration {
        let due = clock.now + interval
        let (id, replaced) = state.withLock { state -> (UInt64, Task<Void, Never>?) in
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(due: due, interval: interval, beat: beat)
            if let wake = state.wake, wake <= due { return (id, nil) }
            return (id, schedule(due, in: &state))
        }
        replaced?.cancel()
        return Registration(id: id)
    }

    deinit {
        state.withLock { $0.sleeper }?.cancel()
    }

    /// Stops a registration's beats; a beat already handed over stays handed over. The
    /// last one's cancellation ends the ticker's sleep.
    public func cancel(_ registration: Registration) {
        let idle = state.withLock { state -> Task<Void, Never>? in
            state.entries.removeValue(forKey: registration.id)
            guard state.entries.isEmpty else { return nil }
            defer {
                state.sleeper = nil
                state.wake = nil
                state.generation += 1
            }
            return state.sleeper
        }
        idle?.cancel()
    }

    /// Registrations now, beats given and registrations looked at so far.
    var counts: (registered: Int, beats: Int, visited: Int) {
        state.withLock { ($0.entries.count, $0.beats, $0.visited) }
    }

    /// Starts a sleep until `deadline` in place of the current one, which it returns to be
    /// cancelled outside the lock.
    private func schedule(_ deadline: InjectedClock.Instant, in state: inout State) -> Task<Void, Never>? {
        let replaced = state.sleeper
        state.generation += 1
        let generation = state.generation
        state.wake = deadline
        let clock = self.clock
        state.sleeper = Task { [weak self] in
            do { try await clock.sleep(until: deadline) } catch { return }
            self?.fire(generation)
        }
        return replaced
    }

    /// Gives every beat due within `slack` of now, and sleeps until the next one.
    private func fire(_ generation: UInt64) {
        let now = clock.now
        let horizon = now + slack
        let beats = state.withLock { state -> [@Sendable () -> Void] in
            guard state.generation == generation else { return [] }
            state.sleeper = nil
            state.wake = nil
            var beats: [@Sendable () -> Void] = []
            var next: InjectedClock.Instant?
            var index = state.entries.values.startIndex
            while index != state.entries.values.endIndex {
                let entry = state.entries.values[index]
                if entry.due <= horizon {
                    beats.append(entry.beat)
                    state.entries.values[index].due = max(entry.due + entry.interval, now + entry.interval / 2)
                }
                let due = state.entries.values[index].due
                if next.map({ due < $0 }) ?? true { next = due }
                state.entries.values.formIndex(after: &index)
            }
            state.visited += state.entries.count
            state.beats += beats.count
            if let next { _ = schedule(next, in: &state) }
            return beats
        }
        for beat in beats { beat() }
    }
}
