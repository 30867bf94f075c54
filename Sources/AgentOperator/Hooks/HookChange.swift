import AgentState

/// One change of an agent a hook is run for: the state document before and after, and
/// the environment the hook gets. Pure: which documents make a change, and what a hook sees.
public struct HookChange: Sendable {
    public var previous: StateDocument
    public var current: StateDocument
    /// The state file's bytes as read (the hook's stdin).
    public var bytes: [UInt8]
    public var path: String

    public init(previous: StateDocument, current: StateDocument, bytes: [UInt8], path: String) {
        self.previous = previous
        self.current = current
        self.bytes = bytes
        self.path = path
    }

    /// What a hook is run for: the agent's state, work mode, reason, DND, whether synced,
    /// whether on a call, and each call's state. A heartbeat, a new `seq` with the same
    /// picture, or a connection detail alone is not a change.
    struct Key: Equatable {
        var state: String
        var workMode: String?
        var reason: String?
        var dnd: Bool?
        var synced: Bool
        var onCall: Bool?
        var calls: [String]

        init(_ agent: StateDocument.Agent) {
            state = agent.state
            workMode = agent.workMode
            reason = agent.reason
            dnd = agent.dnd
            synced = agent.synced
            onCall = agent.onCall
            calls = (agent.calls ?? []).map { "\($0.id)=\($0.state ?? "")" }
        }
    }

    /// Whether going from `previous` to `current` is a change hooks are run for.
    public static func isChange(from previous: StateDocument, to current: StateDocument) -> Bool {
        Key(previous.agent) != Key(current.agent)
    }

    /// The hook's environment (besides `PATH`): the agent, its new and previous values,
    /// the document's `seq` and `changed_at`, and the state file's path.
    public var environment: [String: String] {
        func dnd(_ value: Bool?) -> String { value.map { $0 ? "on" : "off" } ?? "unknown" }
        func flag(_ value: Bool?) -> String { value.map { $0 ? "true" : "false" } ?? "unknown" }
        let agent = current.agent
        let before = previous.agent
        return [
            "GWS_HOOK_AGENT": agent.username,
            "GWS_HOOK_STATE": agent.state, "GWS_HOOK_PREVIOUS_STATE": before.state,
            "GWS_HOOK_WORK_MODE": agent.workMode ?? "", "GWS_HOOK_PREVIOUS_WORK_MODE": before.workMode ?? "",
            "GWS_HOOK_REASON": agent.reason ?? "", "GWS_HOOK_PREVIOUS_REASON": before.reason ?? "",
            "GWS_HOOK_DND": dnd(agent.dnd), "GWS_HOOK_PREVIOUS_DND": dnd(before.dnd),
            "GWS_HOOK_ON_CALL": flag(agent.onCall), "GWS_HOOK_PREVIOUS_ON_CALL": flag(before.onCall),
            "GWS_HOOK_SYNCED": agent.synced ? "true" : "false",
            "GWS_HOOK_CONNECTION": current.connection.state.rawValue,
            "GWS_HOOK_SEQ": String(current.seq), "GWS_HOOK_CHANGED_AT": current.changedAt,
            "GWS_HOOK_STATE_FILE": path,
        ]
    }
}
