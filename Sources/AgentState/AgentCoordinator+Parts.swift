import GWS

/// The journal entries of single devices and channels: one info entry each time one of them
/// takes a new state, work mode, reason or DND, beside the agent-level entry (which says
/// only what all of them agree on).
extension AgentCoordinator {
    /// One device's or channel's values, as the cache holds them.
    struct PartValues: Equatable {
        var state: String?
        var workMode: String?
        var reason: String?
        var dnd: Bool?

        init(_ userState: UserState?, dnd: Bool?) {
            state = userState?.state
            workMode = userState?.workMode
            reason = userState?.reason
            self.dnd = dnd
        }
    }

    /// The parts `notification` names, each with its cached values now (nil: not cached).
    func partValues(for notification: GWSNotification) -> [(kind: String, name: String, values: PartValues?)] {
        switch notification {
        case .devices(let devices):
            return devices.compactMap { device in
                guard let id = device.id else { return nil }
                let cached = model.cache.devices.first { $0.id?.lowercased() == id.lowercased() }
                return ("device", id, cached.map { PartValues($0.userState, dnd: $0.doNotDisturb) })
            }
        case .channels(let channels):
            return channels.compactMap { channel in
                guard let name = channel.name else { return nil }
                let cached = model.cache.channels.first { $0.name == name }
                return ("channel", name, cached.map { PartValues($0.userState, dnd: $0.dnd) })
            }
        case .call, .error, .ignored:
            return []
        }
    }

    /// Logs each part of `before` (taken by ``partValues(for:)`` before the notification was
    /// applied) whose values the notification changed.
    func logPartChanges(
        _ before: [(kind: String, name: String, values: PartValues?)], after notification: GWSNotification,
        into actions: inout [CoordinatorAction]
    ) {
        let after = partValues(for: notification)
        for (old, new) in zip(before, after) where old.values != new.values {
            guard let values = new.values, let state = values.state else { continue }
            var metadata = [
                MessageID.key: MessageID.partChanged, "part.kind": new.kind, "part.state": state,
                "part.dnd": Self.dndText(values.dnd),
            ]
            metadata[new.kind == "device" ? "gws.device_id" : "gws.channel"] = new.name
            if let workMode = values.workMode { metadata["part.work_mode"] = workMode }
            if let reason = values.reason { metadata["part.reason"] = reason }
            if let previous = old.values {
                if let state = previous.state { metadata["part.previous_state"] = state }
                metadata["part.previous_dnd"] = Self.dndText(previous.dnd)
                if let reason = previous.reason { metadata["part.previous_reason"] = reason }
                if let workMode = previous.workMode { metadata["part.previous_work_mode"] = workMode }
            }
            let details = [values.workMode, values.reason.map { "reason \($0)" }].compactMap { $0 }
            let text = state + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
            actions.append(
                .log(CoordinatorLog(.info, "\(new.kind) \(new.name) \(text), \(Self.dndText(values.dnd))", metadata)))
        }
    }
}
