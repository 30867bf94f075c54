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

    /// Summarises `cache`. One pass over the devices and channels and no intermediate
    /// arrays: this runs for every notification.
    public init(_ cache: AgentCache) {
        var first: UserState?
        var allSameState = true
        var sameWorkMode = true
        var sameReason = true
        func visit(_ userState: UserState?) {
            guard let userState, userState.state != nil else { return }
            guard let reference = first else {
                first = userState
                return
            }
            if userState.state != reference.state { allSameState = false }
            if userState.workMode != reference.workMode { sameWorkMode = false }
            if userState.reason != reference.reason { sameReason = false }
        }
        var anyOn = false
        var allOff = true
        var flags = 0
        func flag(_ dnd: Bool?) {
            flags += 1
            if dnd == true { anyOn = true }
            if dnd != false { allOff = false }
        }
        for device in cache.devices {
            visit(device.userState)
            flag(device.doNotDisturb)
        }
        for channel in cache.channels {
            visit(channel.userState)
            flag(channel.dnd)
        }
        if let first, allSameState {
            state = first.state ?? Self.unknown
            workMode = sameWorkMode ? first.workMode : nil
            reason = sameReason ? first.reason : nil
        } else {
            state = first == nil ? Self.unknown : Self.mixed
            workMode = nil
            reason = nil
        }
        if anyOn {
            dnd = true
        } else if flags > 0, allOff {
            dnd = false
        } else {
            dnd = nil
        }
    }
}
