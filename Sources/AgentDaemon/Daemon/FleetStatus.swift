import Locking
import Systemd
import Timekeeping

/// The daemon's one `STATUS=` line. For one agent it is that agent's line ("connected,
/// Ready, DND off"); for several, how many are synced and why the longest-unsynced few are
/// not ("498/500 synced; not synced: a: …; b: …"). Either way it begins with `INSECURE (…)`
/// when the server settings are.
///
/// Work per event does not grow with the number of agents: counters, and the unsynced agents
/// in the order they stopped being synced (a queue with lazy deletion, compacted when stale
/// entries outnumber live ones), so that naming the first few costs a few steps, amortised.
/// A line is sent only when it changes; for several agents at most once per
/// ``fleetInterval``, the last change sent when the interval ends, so that 10,000 agents
/// syncing at start make a handful of `sd_notify` calls, not 10,000.
final class FleetStatus: Sendable {
    private struct Entry {
        var line: String
        var synced: Bool
        /// The agent's place in ``State/unsynced`` while it is not synced.
        var mark: UInt64?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var syncedCount = 0
        /// Unsynced agents, oldest first, with the mark they had when queued; an entry whose
        /// agent now has another mark (or none) is stale and skipped.
        var unsynced: [(name: String, mark: UInt64)] = []
        var head = 0
        var nextMark: UInt64 = 0
        var insecurity: [String]
        var lastSent: String?
        var lastSentAt: ContinuousClock.Instant?
        var flushScheduled = false
        /// Steps taken over the queue (for the test that work per event stays constant).
        var steps = 0

        var unsyncedCount: Int { entries.count - syncedCount }

        mutating func queue(_ name: String) -> UInt64 {
            nextMark += 1
            unsynced.append((name, nextMark))
            return nextMark
        }

        func isLive(_ item: (name: String, mark: UInt64)) -> Bool { entries[item.name]?.mark == item.mark }
    }

    /// What ``send()`` does once the lock is released.
    private enum Action {
        case none
        case send(String)
        case schedule(ContinuousClock.Instant)
    }

    private let state: Locked<State>
    private let notifier: SystemdNotifier
    private let clock: InjectedClock
    /// How many unsynced agents the line names.
    static let named = 3
    /// The least time between two `STATUS=` lines of a daemon of several agents.
    static let fleetInterval: Duration = .seconds(1)

    init(notifier: SystemdNotifier, clock: InjectedClock = .system, insecurity: [String] = []) {
        self.notifier = notifier
        self.clock = clock
        state = Locked(State(insecurity: insecurity))
    }

    /// What exposes the password or the session, from the configuration in effect.
    var insecurity: [String] {
        get { state.withLock { $0.insecurity } }
        set {
            state.withLock { $0.insecurity = newValue }
            send()
        }
    }

    /// `username` is followed (not synced until it says so).
    func add(_ username: String) {
        state.withLock { state in
            guard state.entries[username] == nil else { return }
            let mark = state.queue(username)
            state.entries[username] = Entry(line: "starting", synced: false, mark: mark)
        }
        send()
    }

    /// `username` is no longer followed.
    func remove(_ username: String) {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: username) else { return }
            if entry.synced { state.syncedCount -= 1 }
        }
        send()
    }

    /// An agent reported its own status line.
    func update(_ username: String, line: String, synced: Bool) {
        let changed = state.withLock { state -> Bool in
            guard var entry = state.entries[username] else { return false }
            entry.line = line
            if synced != entry.synced {
                entry.synced = synced
                state.syncedCount += synced ? 1 : -1
                entry.mark = synced ? nil : state.queue(username)
            }
            state.entries[username] = entry
            return true
        }
        if changed { send() }
    }

    /// The line as it stands.
    var line: String { state.withLock { Self.render(&$0) } }

    /// How many agents are synced, and how many are followed.
    var counts: (synced: Int, total: Int) { state.withLock { ($0.syncedCount, $0.entries.count) } }

    /// Steps taken over the queue of unsynced agents so far.
    var steps: Int { state.withLock { $0.steps } }

    private static func render(_ state: inout State) -> String {
        var line: String
        if state.entries.count == 1, let only = state.entries.values.first {
            line = only.line
        } else {
            line = "\(state.syncedCount)/\(state.entries.count) synced"
            let unsyncedCount = state.unsyncedCount
            if unsyncedCount > 0 {
                let names = firstUnsynced(&state, count: min(named, unsyncedCount))
                let described = names.map { "\($0): \(state.entries[$0]?.line ?? "")" }
                line += "; not synced: " + described.joined(separator: "; ")
                if unsyncedCount > names.count { line += "; and \(unsyncedCount - names.count) more" }
            }
        }
        if !state.insecurity.isEmpty { line = "INSECURE (\(state.insecurity.joined(separator: ", "))): " + line }
        return line
    }

    /// The `count` agents unsynced longest. Stale entries at the front are dropped for
    /// good; when the walk meets more stale entries than there are unsynced agents, the
    /// queue is rebuilt with the live ones only (each entry is dropped once: amortised
    /// constant work per event).
    private static func firstUnsynced(_ state: inout State, count: Int) -> [String] {
        while state.head < state.unsynced.count, !state.isLive(state.unsynced[state.head]) {
            state.head += 1
            state.steps += 1
        }
        var names: [String] = []
        var stale = 0
        var index = state.head
        while names.count < count, index < state.unsynced.count {
            state.steps += 1
            if state.isLive(state.unsynced[index]) { names.append(state.unsynced[index].name) } else { stale += 1 }
            index += 1
        }
        if stale > state.unsyncedCount + 8 || state.head > state.unsynced.count / 2 {
            state.steps += state.unsynced.count - state.head
            state.unsynced = state.unsynced[state.head...].filter { state.isLive($0) }
            state.head = 0
        }
        return names
    }

    /// Sends the line if it changed: at once for one agent; for several, at most once per
    /// ``fleetInterval`` (a change inside the interval is sent when it ends).
    private func send() {
        let now = clock.now
        let action = state.withLock { state -> Action in
            if state.entries.count > 1, let last = state.lastSentAt, now < last + Self.fleetInterval {
                guard !state.flushScheduled else { return .none }
                state.flushScheduled = true
                return .schedule(last + Self.fleetInterval)
            }
            let line = Self.render(&state)
            guard state.lastSent != line else { return .none }
            state.lastSent = line
            state.lastSentAt = now
            return .send(line)
        }
        switch action {
        case .none: return
        case .send(let line): notifier.send(["STATUS": line])
        case .schedule(let due):
            let clock = self.clock
            Task { [weak self] in
                try? await clock.sleep(until: due)
                self?.flush()
            }
        }
    }

    /// Sends what changed since the last line (the end of a throttled interval).
    func flush() {
        let line = state.withLock { state -> String? in
            state.flushScheduled = false
            let line = Self.render(&state)
            guard state.lastSent != line else { return nil }
            state.lastSent = line
            state.lastSentAt = clock.now
            return line
        }
        if let line { notifier.send(["STATUS": line]) }
    }
}
