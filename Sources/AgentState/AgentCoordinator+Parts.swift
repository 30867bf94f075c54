import GWS

/// The journal entries of single devices and channels. The agent-level entry says only what
/// every device and channel agrees on (a chat channel going Not Ready for Lunch while voice
/// stays Ready reads `agent Mixed`); each device and channel whose state, work mode, reason or
/// DND a reply changed gets one info entry of its own, after the agent's.
///
/// Like the agent's entry, these are per reply, not per message: a reply that carries
/// several changes of one channel logs the net change once, so a burst costs one entry
/// per part and reply, never one per message.
extension AgentCoordinator {
    /// The devices and channels, and their starts, before a reply's first device or channel
    /// notification was applied. Copies of the cache's arrays: no work until they change.
    struct PartsBefore {
        var devices: [DeviceResource]
        var channels: [ChannelResource]
        var since: StateSince

        init(_ model: AgentModel) {
            devices = model.cache.devices
            channels = model.cache.channels
            since = model.since
        }
    }

    /// One device's or channel's values as an entry reports them.
    struct PartValues: Equatable {
        var state: StateSince.StateValue
        var dnd: Bool?
    }

    /// Logs each device and channel whose values differ from `before`. Entries keep their
    /// index in the cache between snapshots (notifications update in place or append), so
    /// index `i` before and after is the same part.
    func logPartChanges(from before: PartsBefore, time: String, into actions: inout [CoordinatorAction]) {
        logPartChanges(
            kind: "device", model.cache.devices, before: before.devices, starts: before.since.devices,
            name: \.id, values: { PartValues(state: StateSince.StateValue($0.userState), dnd: $0.doNotDisturb) },
            time: time, into: &actions)
        logPartChanges(
            kind: "channel", model.cache.channels, before: before.channels, starts: before.since.channels,
            name: \.name, values: { PartValues(state: StateSince.StateValue($0.userState), dnd: $0.dnd) },
            time: time, into: &actions)
    }

    /// ``logPartChanges(from:time:into:)`` for one kind of part: `parts` now against
    /// `before`, with the starts `before` had.
    private func logPartChanges<Part>(
        kind: String, _ parts: [Part], before: [Part], starts: [StateSince.Entry], name: (Part) -> String?,
        values: (Part) -> PartValues, time: String, into actions: inout [CoordinatorAction]
    ) {
        for index in parts.indices {
            logPartChange(
                kind: kind, name: name(parts[index]),
                from: before.indices.contains(index) ? values(before[index]) : nil, to: values(parts[index]),
                since: starts.indices.contains(index) ? starts[index].mark : nil, time: time, into: &actions)
        }
    }

    /// One part's entry when its values changed: `device d1 NotReady (AfterCallWork), DND off`.
    /// The seconds in the previous state are given when the state changed and its start
    /// (`since`, remembered for the value it began) is known.
    private func logPartChange(
        kind: String, name: String?, from old: PartValues?, to new: PartValues,
        since: StateSince.Mark<StateSince.StateValue>?, time: String, into actions: inout [CoordinatorAction]
    ) {
        guard old != new, let state = new.state.state else { return }
        var metadata = [
            MessageID.key: MessageID.partChanged, "part.kind": kind, "part.state": state,
            "part.dnd": Self.dndText(new.dnd),
        ]
        if let name { metadata[kind == "device" ? "gws.device_id" : "gws.channel"] = name }
        if let workMode = new.state.workMode { metadata["part.work_mode"] = workMode }
        if let reason = new.state.reason { metadata["part.reason"] = reason }
        if let old {
            if let previous = old.state.state { metadata["part.previous_state"] = previous }
            metadata["part.previous_dnd"] = Self.dndText(old.dnd)
            if let workMode = old.state.workMode { metadata["part.previous_work_mode"] = workMode }
            if let reason = old.state.reason { metadata["part.previous_reason"] = reason }
            if old.state != new.state, let since, since.value == old.state, let started = since.since,
                let start = Timestamp.parse(started), let now = Timestamp.parse(time), now >= start
            {
                metadata["part.previous_seconds"] = Self.seconds(now - start)
            }
        }
        let details = [new.state.workMode, new.state.reason.map { "reason \($0)" }].compactMap { $0 }
        let text = state + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
        let label = name.map { "\(kind) \($0)" } ?? "\(kind) without \(kind == "device" ? "id" : "name")"
        actions.append(.log(CoordinatorLog(.info, "\(label) \(text), \(Self.dndText(new.dnd))", metadata)))
    }
}
