import Locking
import Systemd

/// The `STATUS=` line of a daemon that follows several agents: how many are synced
/// ("498/500 synced") and why the first few that are not, sent only when it changes.
final class FleetStatus: Sendable {
    private struct State {
        var agents: Set<String> = []
        var synced: Set<String> = []
        /// The status line of each agent that is not synced.
        var problems: [String: String] = [:]
        var lastSent: String?
    }

    private let state = Locked(State())
    private let notifier: SystemdNotifier
    /// How many unsynced agents the line names.
    static let named = 3

    init(notifier: SystemdNotifier) {
        self.notifier = notifier
    }

    /// `username` is followed (not synced until it says so).
    func add(_ username: String) {
        state.withLock { state in
            state.agents.insert(username)
            state.problems[username] = state.problems[username] ?? "starting"
        }
        send()
    }

    /// `username` is no longer followed.
    func remove(_ username: String) {
        state.withLock { state in
            state.agents.remove(username)
            state.synced.remove(username)
            state.problems[username] = nil
        }
        send()
    }

    /// An agent's session reported its own status line.
    func update(_ username: String, line: String, synced: Bool) {
        let changed = state.withLock { state -> Bool in
            guard state.agents.contains(username) else { return false }
            if synced {
                state.synced.insert(username)
                state.problems[username] = nil
            } else {
                state.synced.remove(username)
                state.problems[username] = line
            }
            return true
        }
        if changed { send() }
    }

    /// The line as it stands.
    var line: String {
        state.withLock { state in
            var line = "\(state.synced.count)/\(state.agents.count) synced"
            if !state.problems.isEmpty {
                let named = state.problems.keys.sorted().prefix(Self.named).map { "\($0): \(state.problems[$0] ?? "")" }
                line += "; not synced: " + named.joined(separator: "; ")
                if state.problems.count > Self.named { line += "; and \(state.problems.count - Self.named) more" }
            }
            return line
        }
    }

    /// How many agents are synced, and how many are followed.
    var counts: (synced: Int, total: Int) { state.withLock { ($0.synced.count, $0.agents.count) } }

    private func send() {
        let line = self.line
        let changed = state.withLock { state -> Bool in
            guard state.lastSent != line else { return false }
            state.lastSent = line
            return true
        }
        if changed { notifier.send(["STATUS": line]) }
    }
}
