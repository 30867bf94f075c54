import GWS

/// The agent-level view derived from every device and channel.
public struct AgentSummary: Sendable, Equatable {
    /// The common state of all devices and channels; `Mixed` when they differ,
    /// `Unknown` when nothing reports a state.
    public var state: String
    /// The common work mode, when the state is common and they all agree.
    public var workMode: String?
    /// The common Not Ready reason, when the state is common and they all agree.
    public var reason: String?
    /// `true` when any device or channel has DND on, `false` when all are known to be
    /// off, `nil` when unknown.
    public var dnd: Bool?

    /// The label used when devices and channels disagree.
    public static let mixed = "Mixed"
    /// The label used when nothing reports a state.
    public static let unknown = "Unknown"

    public init(state: String, workMode: String? = nil, reason: String? = nil, dnd: Bool?) {
        self.state = state
        self.workMode = workMode
        self.reason = reason
        self.dnd = dnd
    }

    /// Summarises `cache`.
    public init(_ cache: AgentCache) {
        let userStates = cache.devices.compactMap(\.userState) + cache.channels.compactMap(\.userState)
        let known = userStates.filter { $0.state != nil }
        if let first = known.first, known.allSatisfy({ $0.state == first.state }) {
            state = first.state ?? Self.unknown
            workMode = known.allSatisfy { $0.workMode == first.workMode } ? first.workMode : nil
            reason = known.allSatisfy { $0.reason == first.reason } ? first.reason : nil
        } else {
            state = known.isEmpty ? Self.unknown : Self.mixed
            workMode = nil
            reason = nil
        }
        let flags = cache.devices.map(\.doNotDisturb) + cache.channels.map(\.dnd)
        if flags.contains(true) {
            dnd = true
        } else if !flags.isEmpty, flags.allSatisfy({ $0 == false }) {
            dnd = false
        } else {
            dnd = nil
        }
    }
}
