import GWS

/// Since when each part of the agent's state has held its current value, as far as the
/// daemon knows: the agent's state, its DND, and each device's and channel's state.
///
/// A value that a notification brought begins at that notification's time. A value first
/// learned from a REST snapshot began at a time no one told the daemon: its start is
/// unknown (`nil`). A snapshot that finds a value unchanged keeps its known start. Each
/// start is remembered with the value it belongs to, so a start is only ever reported for
/// the value it was seen to begin; the memory can be seeded from the state file a previous
/// run wrote (``init(remembering:)``). Nothing here performs I/O.
public struct StateSince: Sendable, Equatable {
    /// A state as the file reports it: state, work mode and reason.
    struct StateValue: Sendable, Equatable {
        var state: String?
        var workMode: String?
        var reason: String?
    }

    /// A value and when it began (`nil`: unknown).
    struct Mark<Value: Sendable & Equatable>: Sendable, Equatable {
        var value: Value
        var since: String?

        /// The start of `value` at `time`: kept when `value` is the one remembered,
        /// `time` otherwise (`nil` for a value learned without a notification).
        func next(_ value: Value, at time: String?) -> Mark {
            value == self.value ? self : Mark(value: value, since: time)
        }
    }

    var agent: Mark<StateValue>?
    var dnd: Mark<Bool?>?
    /// By ``deviceKey(id:phoneNumber:index:)``.
    var devices: [String: Mark<StateValue>] = [:]
    /// By ``channelKey(name:index:)``.
    var channels: [String: Mark<StateValue>] = [:]

    /// Nothing known.
    public init() {}

    /// The starts a state file recorded, to be kept for the values a later snapshot
    /// confirms. The caller checks that the file was written for the same agent.
    public init(remembering agent: StateDocument.Agent) {
        self.agent = Mark(
            value: StateValue(state: agent.state, workMode: agent.workMode, reason: agent.reason),
            since: agent.stateSince)
        dnd = Mark(value: agent.dnd, since: agent.dndSince)
        for (index, device) in agent.devices.enumerated() {
            devices[Self.deviceKey(id: device.id, phoneNumber: device.phoneNumber, index: index)] = Mark(
                value: StateValue(state: device.state, workMode: device.workMode, reason: device.reason),
                since: device.since)
        }
        for (index, channel) in agent.channels.enumerated() {
            channels[Self.channelKey(name: channel.name, index: index)] = Mark(
                value: StateValue(state: channel.state, workMode: channel.workMode, reason: channel.reason),
                since: channel.since)
        }
    }

    /// Moves every start on to what `cache` says now: values that changed began at
    /// `time` (a notification's), or at an unknown time when `time` is `nil` (a snapshot).
    mutating func update(to cache: AgentCache, at time: String?) {
        let summary = AgentSummary(cache)
        let state = StateValue(state: summary.state, workMode: summary.workMode, reason: summary.reason)
        agent = agent?.next(state, at: time) ?? Mark(value: state, since: time)
        dnd = dnd?.next(summary.dnd, at: time) ?? Mark(value: summary.dnd, since: time)
        var nextDevices: [String: Mark<StateValue>] = [:]
        for (index, device) in cache.devices.enumerated() {
            let key = Self.deviceKey(id: device.id, phoneNumber: device.phoneNumber, index: index)
            let value = StateValue(device.userState)
            nextDevices[key] = devices[key]?.next(value, at: time) ?? Mark(value: value, since: time)
        }
        devices = nextDevices
        var nextChannels: [String: Mark<StateValue>] = [:]
        for (index, channel) in cache.channels.enumerated() {
            let key = Self.channelKey(name: channel.name, index: index)
            let value = StateValue(channel.userState)
            nextChannels[key] = channels[key]?.next(value, at: time) ?? Mark(value: value, since: time)
        }
        channels = nextChannels
    }

    /// When the agent's state (`state`, `work_mode`, `reason`) began, if known.
    func agentSince(_ agent: StateDocument.Agent) -> String? {
        Self.since(self.agent, StateValue(state: agent.state, workMode: agent.workMode, reason: agent.reason))
    }

    /// When the agent's DND value began, if known.
    func dndSince(_ agent: StateDocument.Agent) -> String? {
        Self.since(dnd, agent.dnd)
    }

    /// When device number `index` entered its state, if known.
    func since(of device: StateDocument.Device, index: Int) -> String? {
        Self.since(
            devices[Self.deviceKey(id: device.id, phoneNumber: device.phoneNumber, index: index)],
            StateValue(state: device.state, workMode: device.workMode, reason: device.reason))
    }

    /// When channel number `index` entered its state, if known.
    func since(of channel: StateDocument.Channel, index: Int) -> String? {
        Self.since(
            channels[Self.channelKey(name: channel.name, index: index)],
            StateValue(state: channel.state, workMode: channel.workMode, reason: channel.reason))
    }

    /// The remembered start, only when it belongs to `value`.
    private static func since<Value>(_ mark: Mark<Value>?, _ value: Value) -> String? {
        guard let mark, mark.value == value else { return nil }
        return mark.since
    }

    /// A device's identity across snapshots: its id (case-insensitive), else its phone
    /// number, else its position.
    static func deviceKey(id: String?, phoneNumber: String?, index: Int) -> String {
        if let id { return "id:" + id.lowercased() }
        if let phoneNumber { return "dn:" + phoneNumber }
        return "#\(index)"
    }

    /// A channel's identity across snapshots: its name, else its position.
    static func channelKey(name: String?, index: Int) -> String {
        name.map { "name:" + $0 } ?? "#\(index)"
    }
}

extension StateSince.StateValue {
    init(_ userState: UserState?) {
        self.init(state: userState?.state, workMode: userState?.workMode, reason: userState?.reason)
    }
}
