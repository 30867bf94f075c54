import GWS

/// Everything the state file says, before `seq` and `changed_at` are assigned: the
/// agent's cache plus the connection's state. Owned and changed by ``AgentCoordinator``.
public struct AgentModel: Sendable, Equatable {
    public var username: String
    public private(set) var cache = AgentCache()
    /// Since when each part of the picture has held its value.
    public private(set) var since = StateSince()
    public var connection: StateDocument.ConnectionState = .connecting
    /// When ``connection`` last changed (RFC 3339).
    public var connectionSince: String?
    public var clientID: String?
    /// Successful handshakes since the daemon started.
    public var handshakes = 0
    public var lastError: StateDocument.LastError?
    /// See ``StateDocument/Agent/synced``.
    public var synced = false
    public var lastNotificationAt: String?
    /// The base URL of the GWS node in use (`connection.server`).
    public var server: String?
    /// A scheduled reconnection, for the status line (not part of the file).
    public var retry: Retry?
    /// Logins (fresh HTTP sessions) since the daemon started, for metrics.
    public var logins = 0
    /// HTTP sessions GWS forgot (refused with 401 or 403) since the daemon started, for metrics.
    public var httpSessionLosses = 0
    /// Moves to another node of the cluster since the daemon started, for metrics.
    public var failovers = 0

    /// A reconnection waiting for its backoff delay.
    public struct Retry: Sendable, Equatable {
        public var after: Duration
        public var reason: String
    }

    public init(username: String) {
        self.username = username
    }

    /// Replaces the agent's picture with a REST snapshot, then applies again the
    /// notifications that arrived while it was read (already applied when they came).
    /// Values the snapshot confirms keep their start; values it changed began at a time
    /// nobody announced.
    mutating func replace(with snapshot: UserSnapshot, replaying notifications: [GWSNotification] = []) {
        cache.replace(with: snapshot)
        for notification in notifications { cache.apply(notification) }
        since.update(to: cache, at: nil)
    }

    /// Applies a notification that arrived at `time`; returns whether the picture changed.
    @discardableResult
    mutating func apply(_ notification: GWSNotification, at time: String) -> Bool {
        guard cache.apply(notification, at: time) else { return false }
        since.update(to: cache, at: time)
        return true
    }

    /// Whether `/v2/me/calls` is followed: the document then has `calls` and `on_call`.
    public var tracksCalls = false

    /// Whether the agent is on a call, as the state file's `on_call` says it.
    public var onCall: Bool? { tracksCalls ? cache.onCall : nil }

    /// Whether calls' participants and attached data are kept and published (personal
    /// data: off unless the configuration asks); turning it off drops what is held.
    public var keepsCallDetails: Bool {
        get { cache.keepsCallDetails }
        set {
            cache.keepsCallDetails = newValue
            if !newValue { cache.dropCallDetails() }
        }
    }

    /// Remembers the starts a previous run's state file recorded (see
    /// ``StateSince/init(remembering:)``); the first snapshot keeps those it confirms.
    public mutating func remember(_ since: StateSince) {
        self.since = since
    }

    /// Moves the connection to `state` at `time`.
    mutating func setConnection(_ state: StateDocument.ConnectionState, at time: String) {
        guard state != connection else { return }
        connection = state
        connectionSince = time
    }

    /// The document for the state file.
    public func document(header: StateHeader, seq: Int, changedAt: String) -> StateDocument {
        StateDocument(
            generator: header.generator, pid: header.pid, invocationID: header.invocationID,
            heartbeatSeconds: header.heartbeatSeconds, seq: seq, changedAt: changedAt,
            connection: .init(
                state: connection, since: connectionSince, clientID: clientID, handshakes: handshakes,
                lastError: lastError, server: server),
            agent: .init(
                username: username, cache: cache, since: since, synced: synced, lastNotificationAt: lastNotificationAt,
                tracksCalls: tracksCalls))
    }

    /// The one-line status for systemd (`STATUS=`): "connected, Ready, DND off" or
    /// "reconnecting in 8 s: connection refused".
    public var statusLine: String {
        let summary = AgentSummary(cache)
        let dnd = summary.dnd.map { $0 ? "DND on" : "DND off" } ?? "DND unknown"
        let agent = "\(summary.state)\(summary.workMode.map { " (\($0))" } ?? ""), \(dnd)"
        switch connection {
        case .connected:
            return synced ? "connected, \(agent)" : "connected, resynchronising, \(agent)"
        case .stopped:
            return "stopped"
        case .disconnected:
            return "disconnected" + (lastError.map { ": \($0.message)" } ?? "")
        case .connecting, .unconnected, .rehandshaking:
            if let retry {
                return "reconnecting in \(Self.seconds(retry.after)) s: \(retry.reason)"
            }
            switch connection {
            case .connecting: return "connecting to GWS"
            case .rehandshaking: return "session lost, reconnecting" + (lastError.map { ": \($0.message)" } ?? "")
            default: return "connection lost, retrying" + (lastError.map { ": \($0.message)" } ?? "")
            }
        }
    }

    /// Whole seconds, rounded up, for status lines.
    static func seconds(_ duration: Duration) -> Int64 {
        let (s, atto) = duration.components
        return atto > 0 ? s + 1 : s
    }
}

/// The members of the state file that do not come from GWS.
public struct StateHeader: Sendable, Equatable {
    public var generator: String
    public var pid: Int
    public var invocationID: String?
    public var heartbeatSeconds: Int

    public init(generator: String, pid: Int, invocationID: String?, heartbeatSeconds: Int) {
        self.generator = generator
        self.pid = pid
        self.invocationID = invocationID
        self.heartbeatSeconds = heartbeatSeconds
    }
}
