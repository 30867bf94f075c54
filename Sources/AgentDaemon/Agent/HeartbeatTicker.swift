import Locking
import Timekeeping

/// One timer for the heartbeats of every agent of the daemon, in place of one sleeping
/// task per agent: a timer wheel.
///
/// Each registration beats every `interval`, never late. The beats due sit in buckets
/// `slack` wide; the ticker sleeps until the earliest beat due and then gives every beat
/// due within `slack` of that instant, so 10,000 agents' beats, spread over their 10 s
/// interval, cost ten wake-ups a second at the default slack (0.1 s), each giving about
/// a hundred beats, rather than one timer, one task and (for an agent on another thread)
/// one cross-thread wake-up per beat. The slack is small so that a wake-up's beats, each
/// a job of its agent (a file touched, the metrics taken), do not pile up in front of the
/// agents' notifications.
///
/// A beat given early is early by at most `slack`; the next is due one interval after the
/// one it replaced, so beats do not drift. After a stall (a suspended machine), a beat is
/// due no sooner than half an interval on: no burst.
///
/// Work per wake-up is the buckets it empties plus the next one's entries (to find the
/// next beat), which is proportional to the beats it gives: constant per beat in N.
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
        /// Registration ids by the bucket their beat is due in; a cancelled registration's
        /// id stays until its bucket is emptied, and is then skipped.
        var buckets: [Int64: [UInt64]] = [:]
        var nextID: UInt64 = 0
        /// When the ticker's task wakes next; `nil` when nothing is registered.
        var wake: InjectedClock.Instant?
        /// The ticker's task: it sleeps until `wake`, gives the beats due and sleeps again,
        /// in one task for as long as anything is registered.
        var loop: Task<Void, Never>?
        /// Counts the tasks started, so that a replaced one stops.
        var generation: UInt64 = 0
        /// Registration ids looked at by wake-ups, and beats given, so far (for the test
        /// of work per beat).
        var visited = 0
        var beats = 0
        var wakes = 0
    }

    private let state = Locked(State())
    private let clock: InjectedClock
    private let slack: Duration
    /// Bucket 0 starts here.
    private let origin: InjectedClock.Instant

    public init(clock: InjectedClock, slack: Duration = .milliseconds(100)) {
        self.clock = clock
        self.slack = slack
        origin = clock.now
    }

    deinit {
        state.withLock { $0.loop }?.cancel()
    }

    /// Calls `beat` every `interval`, the first time one interval from now, until
    /// ``cancel(_:)``. `beat` runs on the ticker's task and must only hand the beat over.
    public func register(interval: Duration, beat: @escaping @Sendable () -> Void) -> Registration {
        let due = clock.now + interval
        let (id, replaced) = state.withLock { state -> (UInt64, Task<Void, Never>?) in
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(due: due, interval: interval, beat: beat)
            state.buckets[bucket(of: due), default: []].append(id)
            if let wake = state.wake, wake <= due { return (id, nil) }
            // Nothing sleeps, or it sleeps past this beat (the first registration, or a
            // shorter interval after a reload): a task sleeping until this one replaces it.
            state.wake = due
            return (id, startLoop(in: &state))
        }
        replaced?.cancel()
        return Registration(id: id)
    }

    /// Stops a registration's beats; a beat already handed over stays handed over. The
    /// last one's cancellation ends the ticker's sleep.
    public func cancel(_ registration: Registration) {
        let idle = state.withLock { state -> Task<Void, Never>? in
            state.entries.removeValue(forKey: registration.id)
            guard state.entries.isEmpty else { return nil }
            defer {
                state.buckets = [:]
                state.loop = nil
                state.wake = nil
                state.generation += 1
            }
            return state.loop
        }
        idle?.cancel()
    }

    /// Registrations now; wake-ups, beats given and registration ids looked at so far.
    var counts: (registered: Int, wakes: Int, beats: Int, visited: Int) {
        state.withLock { ($0.entries.count, $0.wakes, $0.beats, $0.visited) }
    }

    /// The bucket `instant` falls in.
    private func bucket(of instant: InjectedClock.Instant) -> Int64 {
        Int64((origin.duration(to: instant) / slack).rounded(.down))
    }

    /// Starts the ticker's task in place of the current one, which it returns to be
    /// cancelled outside the lock. The task runs while its generation is the current one.
    private func startLoop(in state: inout State) -> Task<Void, Never>? {
        let replaced = state.loop
        state.generation += 1
        let generation = state.generation
        let clock = self.clock
        state.loop = Task { [weak self] in
            // One task sleeps from beat to beat: no task is made per wake-up.
            while let wake = self?.wake(of: generation) {
                do { try await clock.sleep(until: wake) } catch { return }
                guard self?.fire(generation) == true else { return }
            }
        }
        return replaced
    }

    /// When the task of `generation` is to wake, unless it was replaced or nothing is due.
    private func wake(of generation: UInt64) -> InjectedClock.Instant? {
        state.withLock { $0.generation == generation ? $0.wake : nil }
    }

    /// Gives every beat due within `slack` of now and sets the next wake-up; false when the
    /// task of `generation` was replaced.
    private func fire(_ generation: UInt64) -> Bool {
        let now = clock.now
        let horizon = now + slack
        let last = bucket(of: horizon)
        let beats = state.withLock { state -> [@Sendable () -> Void]? in
            guard state.generation == generation else { return nil }
            state.wakes += 1
            var beats: [@Sendable () -> Void] = []
            // Every bucket up to the horizon's, earliest first; in the horizon's own bucket
            // only what is due by the horizon, the rest stays.
            while let first = state.buckets.keys.min(), first <= last {
                let ids = state.buckets.removeValue(forKey: first) ?? []
                var staying: [UInt64] = []
                for id in ids {
                    state.visited += 1
                    guard var entry = state.entries[id] else { continue }
                    guard entry.due <= horizon else {
                        staying.append(id)
                        continue
                    }
                    beats.append(entry.beat)
                    entry.due = max(entry.due + entry.interval, now + entry.interval / 2)
                    state.entries[id] = entry
                    state.buckets[bucket(of: entry.due), default: []].append(id)
                }
                if !staying.isEmpty { state.buckets[first, default: []].append(contentsOf: staying) }
                if first == last { break }
            }
            state.beats += beats.count
            state.wake = nextDue(in: &state)
            return beats
        }
        guard let beats else { return false }
        for beat in beats { beat() }
        return true
    }

    /// The earliest beat due, from the earliest bucket holding a live registration
    /// (buckets left with only cancelled ones are dropped on the way).
    private func nextDue(in state: inout State) -> InjectedClock.Instant? {
        while let first = state.buckets.keys.min() {
            var next: InjectedClock.Instant?
            for id in state.buckets[first] ?? [] {
                state.visited += 1
                guard let due = state.entries[id]?.due else { continue }
                if next.map({ due < $0 }) ?? true { next = due }
            }
            if let next { return next }
            state.buckets.removeValue(forKey: first)
        }
        return nil
    }
}
