import AgentState

/// One journal entry `gws-agentd history` uses, read from its fields: a change of an
/// agent's state, a resync, a lost connection, or the daemon stopping.
public struct HistoryEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The agent's state, reason, work mode or DND changed (`agent` fields are the new values).
        case change
        /// The picture was read again from GWS: the state is known from here.
        case resync
        /// The connection to GWS was lost: the state is unknown until the next resync.
        case connectionLost = "connection_lost"
        /// The daemon (process `pid`) is stopping: every agent it followed is unknown from here.
        case daemonStopping = "daemon_stopping"
    }

    /// Seconds since the epoch.
    public var time: Double
    public var kind: Kind
    /// The daemon's process id (`_PID`): a new one means the daemon restarted.
    public var pid: String?
    public var agent: String?
    public var status: AgentStatus?
    public var previous: AgentStatus?
    /// Seconds the previous status lasted, when the daemon knew its start.
    public var previousSeconds: Double?

    public init(
        time: Double, kind: Kind, pid: String?, agent: String?, status: AgentStatus? = nil,
        previous: AgentStatus? = nil, previousSeconds: Double? = nil
    ) {
        self.time = time
        self.kind = kind
        self.pid = pid
        self.agent = agent
        self.status = status
        self.previous = previous
        self.previousSeconds = previousSeconds
    }

    /// The `MESSAGE_ID`s read, with the kind of each.
    public static let messageIDs: [String: Kind] = [
        MessageID.agentChanged: .change, MessageID.resynced: .resync, MessageID.connectionLost: .connectionLost,
        MessageID.daemonStopping: .daemonStopping,
    ]

    /// The journal fields read.
    public static let fields = [
        "MESSAGE_ID", "_PID", "GWS_USERNAME", "AGENT_STATE", "AGENT_REASON", "AGENT_WORK_MODE", "AGENT_DND",
        "AGENT_PREVIOUS_STATE", "AGENT_PREVIOUS_REASON", "AGENT_PREVIOUS_WORK_MODE", "AGENT_PREVIOUS_DND",
        "AGENT_PREVIOUS_SECONDS",
    ]

    /// Reads one entry; `nil` when it is not one of ``messageIDs`` or lacks what its kind needs.
    public init?(realtime: UInt64, fields: [String: String]) {
        guard let id = fields["MESSAGE_ID"], let kind = Self.messageIDs[id] else { return nil }
        let agent = fields["GWS_USERNAME"]
        if kind != .daemonStopping && agent == nil { return nil }
        var status: AgentStatus?
        if let state = fields["AGENT_STATE"] {
            status = AgentStatus(
                state: state, reason: fields["AGENT_REASON"], workMode: fields["AGENT_WORK_MODE"],
                dnd: AgentStatus.dnd(fields["AGENT_DND"]))
        }
        if (kind == .change || kind == .resync) && status == nil { return nil }
        var previous: AgentStatus?
        if let state = fields["AGENT_PREVIOUS_STATE"] {
            previous = AgentStatus(
                state: state, reason: fields["AGENT_PREVIOUS_REASON"], workMode: fields["AGENT_PREVIOUS_WORK_MODE"],
                dnd: AgentStatus.dnd(fields["AGENT_PREVIOUS_DND"]))
        }
        self.init(
            time: Double(realtime) / 1_000_000, kind: kind, pid: fields["_PID"], agent: agent, status: status,
            previous: previous,
            previousSeconds: fields["AGENT_PREVIOUS_SECONDS"].flatMap(Double.init).flatMap {
                $0.isFinite && $0 >= 0 ? $0 : nil
            })
    }
}

/// What an agent was doing: its state, reason, work mode and DND.
public struct AgentStatus: Sendable, Hashable {
    public var state: String
    public var reason: String?
    public var workMode: String?
    public var dnd: Bool?

    public init(state: String, reason: String? = nil, workMode: String? = nil, dnd: Bool? = nil) {
        self.state = state
        self.reason = reason
        self.workMode = workMode
        self.dnd = dnd
    }

    /// `DND on` / `DND off` (the journal's `AGENT_DND`) as a flag; anything else is unknown.
    static func dnd(_ text: String?) -> Bool? {
        switch text {
        case "DND on": true
        case "DND off": false
        default: nil
        }
    }
}
