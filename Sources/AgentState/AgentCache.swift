import GWS

/// The agent's devices and channels as last reported by GWS: the daemon's local cache.
///
/// Devices are kept by id (compared case-insensitively), channels by name, both in the
/// order first seen. Notifications update entries in place; a REST snapshot replaces
/// everything. Nothing here performs I/O.
public struct AgentCache: Sendable, Equatable {
    public private(set) var devices: [DeviceResource] = []
    public private(set) var channels: [ChannelResource] = []
    /// The agent's live calls (never a released one), in the order first seen.
    public private(set) var calls: [TrackedCall] = []
    /// Whether ``calls`` is the whole list: the last snapshot read the calls from REST.
    /// Without that read, ``calls`` holds only what notifications told since.
    public private(set) var callsKnown = false
    /// Whether the participants' numbers and the attached data of calls are kept (they
    /// are personal data); when not, they are dropped as they arrive.
    public var keepsCallDetails = false
    /// Devices and channels ignored because the cache held ``maximumEntries`` of their
    /// kind already (a hostile or broken server), since the cache was made.
    public private(set) var ignoredEntries = 0

    /// The most devices, and the most channels, one agent's picture holds. An agent has a
    /// few of each; the cap bounds the work and memory a server can cause.
    public static let maximumEntries = 256

    public init() {}

    /// Replaces the whole picture with a REST snapshot.
    public mutating func replace(with snapshot: UserSnapshot) {
        devices = []
        channels = []
        for device in snapshot.devices { upsert(device) }
        for channel in snapshot.channels { upsert(channel) }
        let previous = calls
        calls = []
        callsKnown = snapshot.calls != nil
        for call in snapshot.calls ?? [] where !call.isReleased {
            // A call the snapshot finds in the state it had keeps its start.
            let kept = previous.first { $0.resource.id == call.id && $0.resource.state == call.state }
            upsert(call, at: kept?.since)
        }
    }

    /// Applies a notification that arrived at `time` (the start of a call's new state).
    /// - Returns: whether the cache changed.
    @discardableResult
    public mutating func apply(_ notification: GWSNotification, at time: String? = nil) -> Bool {
        let before = self
        switch notification {
        case .devices(let list): for device in list { upsert(device) }
        case .channels(let list): for channel in list { upsert(channel) }
        case .call(let message): upsert(message.call, at: time)
        case .error, .ignored: return false
        }
        return self != before
    }

    /// Forgets every call's participants and attached data.
    mutating func dropCallDetails() {
        for index in calls.indices {
            calls[index].resource.participants = nil
            calls[index].resource.attachedData = nil
        }
    }

    /// Whether the agent has a live call: `true` when any is known, `false` when the list
    /// is complete and empty, `nil` when it is not known to be complete.
    public var onCall: Bool? {
        if calls.contains(where: \.engagesAgent) { return true }
        return callsKnown ? false : nil
    }

    /// The cached call with `id`, if it is live.
    public func call(id: String) -> TrackedCall? { calls.first { $0.resource.id == id } }

    /// Updates the call the resource describes, adds it, or drops it when released.
    /// Members missing from the resource keep their cached value; a new state starts at `time`.
    mutating func upsert(_ reported: CallResource, at time: String?) {
        var call = reported
        if !keepsCallDetails {
            call.participants = nil
            call.attachedData = nil
        }
        guard let index = calls.firstIndex(where: { $0.resource.id == call.id }) else {
            guard !call.isReleased else { return }
            guard calls.count < Self.maximumEntries else {
                ignoredEntries += 1
                return
            }
            calls.append(TrackedCall(resource: call, since: time))
            return
        }
        if call.isReleased {
            calls.remove(at: index)
            return
        }
        var merged = calls[index]
        if let state = call.state, state != merged.resource.state {
            merged.resource.state = state
            merged.since = time
        }
        if let callType = call.callType { merged.resource.callType = callType }
        if let deviceID = call.deviceID { merged.resource.deviceID = deviceID }
        if let participants = call.participants { merged.resource.participants = participants }
        if let attachedData = call.attachedData { merged.resource.attachedData = attachedData }
        if !keepsCallDetails {
            merged.resource.participants = nil
            merged.resource.attachedData = nil
        }
        calls[index] = merged
    }

    /// Updates the device the resource describes, or adds it.
    ///
    /// Members missing from the resource keep their cached value. A resource without an
    /// id is matched by phone number, or applied to the only device when there is one;
    /// otherwise it is added as a device of unknown id.
    mutating func upsert(_ device: DeviceResource) {
        guard let index = deviceIndex(for: device) else {
            guard devices.count < Self.maximumEntries else {
                ignoredEntries += 1
                return
            }
            devices.append(device)
            return
        }
        var merged = devices[index]
        if merged.id == nil { merged.id = device.id }
        if let deviceState = device.deviceState { merged.deviceState = deviceState }
        if let userState = device.userState { merged.userState = userState }
        if let dnd = device.doNotDisturb { merged.doNotDisturb = dnd }
        if let phone = device.phoneNumber { merged.phoneNumber = phone }
        if let capabilities = device.capabilities { merged.capabilities = capabilities }
        devices[index] = merged
    }

    private func deviceIndex(for device: DeviceResource) -> Int? {
        if let id = device.id?.lowercased() {
            return devices.firstIndex { $0.id?.lowercased() == id }
        }
        if let phone = device.phoneNumber, let index = devices.firstIndex(where: { $0.phoneNumber == phone }) {
            return index
        }
        return devices.count == 1 ? 0 : nil
    }

    /// Updates the named channel, or adds it; an entry without a name applies to every
    /// cached channel (the pre-release samples' meaning).
    mutating func upsert(_ channel: ChannelResource) {
        guard let name = channel.name else {
            for index in channels.indices { merge(channel, into: index) }
            return
        }
        if let index = channels.firstIndex(where: { $0.name == name }) {
            merge(channel, into: index)
        } else if channels.count < Self.maximumEntries {
            channels.append(channel)
        } else {
            ignoredEntries += 1
        }
    }

    private mutating func merge(_ channel: ChannelResource, into index: Int) {
        if let userState = channel.userState { channels[index].userState = userState }
        if let dnd = channel.dnd { channels[index].dnd = dnd }
    }
}

/// One live call of the agent and since when it has been in its state (`nil` when first
/// learned from a REST read, which does not say).
public struct TrackedCall: Sendable, Equatable {
    public var resource: CallResource
    public var since: String?

    public init(resource: CallResource, since: String?) {
        self.resource = resource
        self.since = since
    }

    /// Whether the agent is engaged in it: any state but released (a dialing, ringing,
    /// established or held call, or one in a state GWS names that this build does not know).
    public var engagesAgent: Bool { !resource.isReleased }
}
