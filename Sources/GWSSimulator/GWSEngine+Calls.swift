import JSON

/// Calls: the far end ringing an agent or answering a dialed call, and the agent's own
/// call operations, each published as a `CallStateChangeMessage` on `/v2/me/calls`.
extension GWSEngine {
    /// Starts a call to (`inbound`) or from the agent on its first device and publishes it
    /// (`Ringing` or `Dialing`). Returns the call's id, or `nil` when the agent is unknown
    /// or has no device.
    @discardableResult
    public func startCall(
        username: String? = nil, inbound: Bool = true, otherParty: String = "5550100", userData: JSONObject = [:]
    ) async -> String? {
        guard let name = username ?? usernames.first, var agent = agents[name] else { return nil }
        callsMade += 1
        let hex = String(callsMade, radix: 16)
        let id = "007102" + String(repeating: "0", count: max(0, 10 - hex.count)) + hex
        guard
            let notification = agent.startCall(
                id: id, inbound: inbound, otherParty: otherParty, userData: userData, baseURL: baseURL)
        else { return nil }
        agents[name] = agent
        counters.increment(.callOperations)
        await publish([notification], username: name)
        return id
    }

    /// Applies a call operation (`Answer`, `Hold`, `Retrieve`, `Hangup`, `Establish`) to
    /// the call `id`, or to the agent's newest call when `id` is `nil`, and publishes it.
    @discardableResult
    public func operateCall(_ operation: String, id: String? = nil, username: String? = nil) async -> OperationOutcome {
        await changeCall(id: id, username: username, counted: true) { agent, callID, baseURL in
            agent.operateCall(id: callID, operation: operation, baseURL: baseURL)
        }
    }

    /// Replaces the attached data of call `id` (the newest call when `nil`) and publishes
    /// `AttachedDataChanged`.
    @discardableResult
    public func attachData(_ userData: JSONObject, id: String? = nil, username: String? = nil) async -> OperationOutcome
    {
        await changeCall(id: id, username: username, counted: false) { agent, callID, baseURL in
            agent.attachData(id: callID, userData: userData, baseURL: baseURL)
        }
    }

    /// Finds the agent and the call (`id`, or the newest), applies `change`, keeps the agent
    /// and publishes what an accepted change announces (counted as a call operation when
    /// `counted`). An unknown agent or an agent without calls is refused with statusCode 6.
    private func changeCall(
        id: String?, username: String?, counted: Bool,
        _ change: (inout SimulatedAgent, String, String) -> OperationOutcome
    ) async -> OperationOutcome {
        guard let name = username ?? usernames.first, var agent = agents[name] else {
            return .rejected(statusCode: 6, message: "no such user")
        }
        guard let callID = id ?? agent.calls.last?.id else {
            return .rejected(statusCode: 6, message: "the agent has no call")
        }
        let outcome = change(&agent, callID, baseURL)
        agents[name] = agent
        if case .accepted(let notifications) = outcome {
            if counted { counters.increment(.callOperations) }
            await publish(notifications, username: name)
        }
        return outcome
    }

    /// `GET /api/v2/me/calls[?fields=*]` and `GET /api/v2/me/calls/{id}`.
    func readCalls(_ segments: [String], fields: Bool, agent: SimulatedAgent) -> JSONValue? {
        if segments.count == 5 {
            guard let call = agent.calls.first(where: { $0.id == segments[4] }) else { return nil }
            return ["statusCode": 0, "call": call.resource(baseURL: baseURL)]
        }
        if fields { return ["statusCode": 0, "calls": .array(agent.calls.map { $0.resource(baseURL: baseURL) })] }
        return ["statusCode": 0, "uris": .array(agent.calls.map { .string(baseURL + "/api/v2/me/calls/" + $0.id) })]
    }
}
