import Locking
import Systemd

/// The daemon's one `STATUS=` line, made of every agent's status line and sent only when it
/// changes. For one agent it is that agent's line ("connected, Ready, DND off"); for
/// several, how many are synced and why the first few are not ("498/500 synced; not
/// synced: a: …"). Either way it begins with `INSECURE (…)` when the server settings are.
final class FleetStatus: Sendable {
    private struct State {
        /// Each followed agent's latest line.
        var lines: [String: String] = [:]
        var synced: Set<String> = []
        var insecurity: [String]
        var lastSent: String?
    }

    private let state: Locked<State>
    private let notifier: SystemdNotifier
    /// How many unsynced agents the line names.
    static let named = 3

    init(notifier: SystemdNotifier, insecurity: [String] = []) {
        self.notifier = notifier
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
            if state.lines[username] == nil { state.lines[username] = "starting" }
        }
        send()
    }

    /// `username` is no longer followed.
    func remove(_ username: String) {
        state.withLock { state in
            state.lines[username] = nil
            state.synced.remove(username)
        }
        send()
    }

    /// An agent reported its own status line.
    func update(_ username: String, line: String, synced: Bool) {
        let changed = state.withLock { state -> Bool in
            guard state.lines[username] != nil else { return false }
            state.lines[username] = line
            if synced { state.synced.insert(username) } else { state.synced.remove(username) }
            return true
        }
        if changed { send() }
    }

    /// The line as it stands.
    var line: String {
        state.withLock { state in
            var line: String
            if state.lines.count == 1, let only = state.lines.values.first {
                line = only
            } else {
                line = "\(state.synced.count)/\(state.lines.count) synced"
                let unsynced = state.lines.keys.filter { !state.synced.contains($0) }
                if !unsynced.isEmpty {
                    let named = unsynced.sorted().prefix(Self.named).map { "\($0): \(state.lines[$0] ?? "")" }
                    line += "; not synced: " + named.joined(separator: "; ")
                    if unsynced.count > Self.named { line += "; and \(unsynced.count - Self.named) more" }
                }
            }
            if !state.insecurity.isEmpty { line = "INSECURE (\(state.insecurity.joined(separator: ", "))): " + line }
            return line
        }
    }

    /// How many agents are synced, and how many are followed.
    var counts: (synced: Int, total: Int) { state.withLock { ($0.synced.count, $0.lines.count) } }

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
