import GWS

/// The agent's devices and channels as last reported by GWS: the daemon's local cache.
///
/// Devices are kept by id (compared case-insensitively), channels by name, both in the
/// order first seen. Notifications update entries in place; a REST snapshot replaces
/// everything. Nothing here performs I/O.
public struct AgentCache: Sendable, Equatable {
    public private(set) var devices: [DeviceResource] = []
    public private(set) var channels: [ChannelResource] = []
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
    }

    /// Applies a notification.
    /// - Returns: whether the cache changed.
    @discardableResult
    public mutating func apply(_ notification: GWSNotification) -> Bool {
        let before = self
        switch notification {
        case .devices(let list): for device in list { upsert(device) }
        case .channels(let list): for channel in list { upsert(channel) }
        case .error, .ignored: return false
        }
        return self != before
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
