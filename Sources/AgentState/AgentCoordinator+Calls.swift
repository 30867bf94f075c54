import GWS

/// The journal entries of calls: one info entry each time a call takes a new state, from
/// a notification or found by a resync. Never the participants' numbers or attached data.
extension AgentCoordinator {
    /// Logs what `message` did to the call that was `before` (nil: not known until now).
    func logCallChange(
        _ message: CallNotification, from before: TrackedCall?, time: String, into actions: inout [CoordinatorAction]
    ) {
        let after = model.cache.call(id: message.call.id)
        let newState = after?.resource.state ?? message.call.state
        guard before == nil || newState != before?.resource.state else {
            // Participants or attached data changed: nothing a state reader needs.
            actions.append(
                .log(
                    CoordinatorLog(
                        .debug, "call updated",
                        ["call.id": message.call.id, "gws.notification_type": message.kind ?? "none"])))
            return
        }
        // A release of a call never seen (it started and ended while disconnected, or the
        // notification repeats) changes nothing.
        if before == nil, after == nil { return }
        let call = after?.resource ?? message.call
        actions.append(callEntry(call, state: newState, previous: before, time: time))
    }

    /// After a resync: an entry for each call the snapshot found in a new state, and a
    /// `Released` entry for each call it no longer lists.
    func logCallsResynced(from before: [TrackedCall], time: String, into actions: inout [CoordinatorAction]) {
        guard model.cache.callsKnown else { return }
        for call in model.cache.calls {
            let previous = before.first { $0.resource.id == call.resource.id }
            if previous?.resource.state != call.resource.state {
                actions.append(callEntry(call.resource, state: call.resource.state, previous: previous, time: time))
            }
        }
        for call in before where model.cache.call(id: call.resource.id) == nil {
            actions.append(callEntry(call.resource, state: CallResource.releasedState, previous: call, time: time))
        }
    }

    /// One call entry: the call's new and previous state, its type and device, the seconds
    /// spent in the previous state when its start is known, and whether the agent is on a call.
    func callEntry(_ call: CallResource, state: String?, previous: TrackedCall?, time: String) -> CoordinatorAction {
        var metadata = agentMetadata
        metadata[MessageID.key] = MessageID.callChanged
        metadata["call.id"] = call.id
        metadata["call.state"] = state ?? "Unknown"
        if let type = call.callType { metadata["call.type"] = type }
        if let device = call.deviceID { metadata["gws.device_id"] = device }
        if let previousState = previous?.resource.state { metadata["call.previous_state"] = previousState }
        if let since = previous?.since, let start = Timestamp.parse(since), let now = Timestamp.parse(time),
            now >= start
        {
            metadata["call.previous_seconds"] = Self.seconds(now - start)
        }
        if let onCall = model.onCall { metadata["agent.on_call"] = onCall ? "true" : "false" }
        return .log(CoordinatorLog(.info, "call \(state ?? "Unknown")", metadata))
    }
}
