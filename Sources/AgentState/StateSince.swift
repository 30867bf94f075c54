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

    /// Which device or channel an entry belongs to, across snapshots.
    enum EntryKey: Hashable, Sendable {
        /// A device's id, lowercased (GWS compares device ids case-insensitively).
        case id(String)
        /// A device without id, by its phone number.
        case phoneNumber(String)
        /// A channel, by name.
        case name(String)
        /// Neither: by position.
        case position(Int)
    }

    /// One device's or channel's start, in the cache's order.
    struct Entry: Sendable, Equatable {
        var key: EntryKey
        var mark: Mark<StateValue>
    }

    var agent: Mark<StateValue>?
    var dnd: Mark<Bool?>?
    /// In the order of ``AgentCache/devices``.
    var devices: [Entry] = []
    /// In the order of ``AgentCache/channels``.
    var channels: [Entry] = []

    /// Nothing known.
    public init() {}

    /// The starts a state file recorded, to be kept for the values a later snapshot
    /// confirms. The caller checks that the file was written for the same agent.
    public init(remembering agent: StateDocument.Agent) {
        self.agent = Mark(
            value: StateValue(state: agent.state, workMode: agent.workMode, reason: agent.reason),
            since: agent.stateSince)
        dnd = Mark(value: agent.dnd, since: agent.dndSince)
        devices = agent.devices.enumerated().map { index, device in
            Entry(
                key: Self.deviceKey(id: device.id, phoneNumber: device.phoneNumber, index: index),
                mark: Mark(
                    value: StateValue(state: device.state, workMode: device.workMode, reason: device.reason),
                    since: device.since))
        }
        channels = agent.channels.enumerated().map { index, channel in
            Entry(
                key: Self.channelKey(name: channel.name, index: index),
                mark: Mark(
                    value: StateValue(state: channel.state, workMode: channel.workMode, reason: channel.reason),
                    since: channel.since))
        }
    }

    /// Moves every start on to what `cache` says now: values that changed began at
    /// `time` (a notification's), or at an unknown time when `time` is `nil` (a snapshot).
    ///
    /// Runs for every notification. When the devices and channels are the ones already
    /// known, in the same order (a notification changes values, rarely the set), the
    /// entries are updated in place without allocating.
    mutating func update(to cache: AgentCache, at time: String?) {
        let summary = AgentSummary(cache)
        let state = StateValue(state: summary.state, workMode: summary.workMode, reason: summary.reason)
        agent = agent?.next(state, at: time) ?? Mark(value: state, since: time)
        dnd = dnd?.next(summary.dnd, at: time) ?? Mark(value: summary.dnd, since: time)
        carryDevices(to: cache.devices, at: time)
        carryChannels(to: cache.channels, at: time)
    }

    /// Moves the devices' starts on: in place when the devices line up with the entries,
    /// else by key. (Written out for each kind, not generic: this is the hot path.)
    private mutating func carryDevices(to resources: [DeviceResource], at time: String?) {
        let linedUp =
            devices.count == resources.count
            && resources.indices.allSatisfy { Self.device(resources[$0], index: $0, has: devices[$0].key) }
        if linedUp {
            for index in resources.indices {
                let current = StateValue(resources[index].userState)
                if devices[index].mark.value != current { devices[index].mark = Mark(value: current, since: time) }
            }
            return
        }
        var known: [EntryKey: Mark<StateValue>] = [:]
        for entry in devices { known[entry.key] = entry.mark }
        devices = resources.indices.map { index in
            let key = Self.deviceKey(id: resources[index].id, phoneNumber: resources[index].phoneNumber, index: index)
            let current = StateValue(resources[index].userState)
            return Entry(key: key, mark: known[key]?.next(current, at: time) ?? Mark(value: current, since: time))
        }
    }

    /// As ``carryDevices(to:at:)``, for the channels.
    private mutating func carryChannels(to resources: [ChannelResource], at time: String?) {
        let linedUp =
            channels.count == resources.count
            && resources.indices.allSatisfy { Self.channelKey(name: resources[$0].name, index: $0) == channels[$0].key }
        if linedUp {
            for index in resources.indices {
                let current = StateValue(resources[index].userState)
                if channels[index].mark.value != current { channels[index].mark = Mark(value: current, since: time) }
            }
            return
        }
        var known: [EntryKey: Mark<StateValue>] = [:]
        for entry in channels { known[entry.key] = entry.mark }
        channels = resources.indices.map { index in
            let key = Self.channelKey(name: resources[index].name, index: index)
            let current = StateValue(resources[index].userState)
            return Entry(key: key, mark: known[key]?.next(current, at: time) ?? Mark(value: current, since: time))
        }
    }

    /// When the agent's state (`state`, `work_mode`, `reason`) began, if known.
    func agentSince(_ agent: StateDocument.Agent) -> String? {
        Self.since(self.agent, StateValue(state: agent.state, workMode: agent.workMode, reason: agent.reason))
    }

    /// When the agent-level state `summary` describes began, if known.
    public func agentSince(_ summary: AgentSummary) -> String? {
        Self.since(agent, StateValue(state: summary.state, workMode: summary.workMode, reason: summary.reason))
    }

    /// When the agent's DND value began, if known.
    func dndSince(_ agent: StateDocument.Agent) -> String? {
        Self.since(dnd, agent.dnd)
    }

    /// When device number `index` (in the cache's order) entered its state, if known.
    func since(of device: StateDocument.Device, index: Int) -> String? {
        guard devices.indices.contains(index),
            devices[index].key == Self.deviceKey(id: device.id, phoneNumber: device.phoneNumber, index: index)
        else { return nil }
        return Self.since(
            devices[index].mark, StateValue(state: device.state, workMode: device.workMode, reason: device.reason))
    }

    /// When channel number `index` (in the cache's order) entered its state, if known.
    func since(of channel: StateDocument.Channel, index: Int) -> String? {
        guard channels.indices.contains(index), channels[index].key == Self.channelKey(name: channel.name, index: index)
        else { return nil }
        return Self.since(
            channels[index].mark,
            StateValue(state: channel.state, workMode: channel.workMode, reason: channel.reason))
    }

    /// The remembered start, only when it belongs to `value`.
    private static func since<Value>(_ mark: Mark<Value>?, _ value: Value) -> String? {
        guard let mark, mark.value == value else { return nil }
        return mark.since
    }

    /// A device's identity across snapshots: its id (case-insensitive), else its phone
    /// number, else its position.
    static func deviceKey(id: String?, phoneNumber: String?, index: Int) -> EntryKey {
        if let id { return .id(id.lowercased()) }
        if let phoneNumber { return .phoneNumber(phoneNumber) }
        return .position(index)
    }

    /// Whether `device` at `index` is the one `key` names, without allocating when its id
    /// is already in lower case (GWS's ids are UUIDs).
    static func device(_ device: DeviceResource, index: Int, has key: EntryKey) -> Bool {
        switch key {
        case .id(let lowered):
            guard let id = device.id else { return false }
            return id == lowered || id.lowercased() == lowered
        case .phoneNumber(let number): return device.id == nil && device.phoneNumber == number
        case .position(let position): return device.id == nil && device.phoneNumber == nil && position == index
        case .name: return false
        }
    }

    /// A channel's identity across snapshots: its name, else its position.
    static func channelKey(name: String?, index: Int) -> EntryKey {
        name.map(EntryKey.name) ?? .position(index)
    }
}

extension StateSince.StateValue {
    init(_ userState: UserState?) {
        self.init(state: userState?.state, workMode: userState?.workMode, reason: userState?.reason)
    }
}
