import JSON

/// What tests, the control endpoint and scripted activity do to the simulated contact
/// center: change agents as another desktop would, inject faults, lose sessions, and read
/// what clients sent.
extension GWSEngine {
    /// Changes the agent as another desktop would, and publishes the notifications.
    @discardableResult
    public func apply(
        _ operation: String, scope: OperationScope = .all, username: String? = nil
    ) async
        -> OperationOutcome
    {
        guard let name = username ?? usernames.first, var agent = agents[name] else {
            return .rejected(statusCode: 6, message: "no such user")
        }
        let outcome = agent.apply(operation, scope: scope, baseURL: baseURL)
        agents[name] = agent
        if case .accepted(let notifications) = outcome {
            counters.increment(.operations)
            await publish(notifications, username: name)
        }
        return outcome
    }

    /// Delivers `data` on `channel` to every Bayeux session of `username` subscribed to it,
    /// as GWS pushes an event: for tests of what a client makes of arbitrary events.
    public func deliver(_ data: JSONValue, on channel: String, to username: String? = nil) async {
        await publish([Notification(channel: channel, data: data)], username: username ?? usernames.first ?? "")
    }

    /// Queues `notifications` on every node: each node delivers them to its own sessions.
    func publish(_ notifications: [Notification], username: String) async {
        for node in nodes { await node.cometd.publish(notifications, username: username) }
    }

    /// The agent as the simulator holds it: the truth a client's picture is checked against.
    public func agent(_ username: String? = nil) -> SimulatedAgent? {
        agents[username ?? usernames.first ?? ""]
    }

    /// Applies `fault` to the next `count` requests of `target`.
    public func inject(_ fault: Fault, count: Int = 1, target: FaultTarget = .any) {
        faults.add(fault, count: count, target: target)
    }

    /// Removes every pending fault.
    public func clearFaults() async {
        faults.clear()
        for node in nodes { await node.cometd.injectConnectFaults() }
    }

    /// Forgets every Bayeux session (HTTP sessions survive), as a session sweep would.
    public func dropSessions() async {
        for node in nodes { await node.cometd.dropAllSessions() }
    }

    /// Forgets the HTTP sessions of node `index` (every node when nil), as their idle
    /// timeout would: the next request with one of their cookies meets a CSRF refusal.
    public func expireHTTPSessions(node index: Int? = nil, username: String? = nil) {
        for i in index.map({ [$0] }) ?? Array(nodes.indices) {
            if let username {
                nodes[i].httpSessions.remove(username: username)
            } else {
                nodes[i].httpSessions.removeAll()
            }
        }
        counters.increment(.httpSessionsExpired)
    }

    /// Ages every HTTP session by `duration` at once, as if that much idle time had passed:
    /// tests of the idle timeout need not wait for it.
    public func advanceSessionClock(by duration: Duration) {
        sessionClockOffset += duration
    }

    /// Changes `username`'s password: the old one gets HTTP 401 from now on.
    @discardableResult
    public func changePassword(_ password: String, username: String? = nil) -> Bool {
        guard let name = username ?? usernames.first, agents[name] != nil else { return false }
        agents[name]?.password = password
        return true
    }

    /// `EndContactCenterSession` from another desktop: the agent is logged out on every
    /// device and channel (and the notifications published), and every HTTP session of
    /// the user, on every node, is invalidated.
    @discardableResult
    public func endContactCenterSession(username: String? = nil) async -> OperationOutcome {
        guard let name = username ?? usernames.first else { return .rejected(statusCode: 6, message: "no such user") }
        let outcome = await apply("EndContactCenterSession", username: name)
        if case .accepted = outcome {
            for i in nodes.indices { nodes[i].httpSessions.remove(username: name) }
        }
        return outcome
    }

    /// The next `count` connects are answered with `reconnect: none`.
    public func injectReconnectNone(count: Int = 1) async {
        await nodes[0].cometd.injectConnectFaults(reconnectNone: count)
    }

    /// The next `count` subscribe messages get no reply and subscribe nothing, whatever
    /// request carries them.
    public func injectUnansweredSubscribes(count: Int = 1) async {
        await nodes[0].cometd.injectConnectFaults(unansweredSubscribes: count)
    }

    /// The next `count` connects carry `multiple-clients` advice.
    public func injectMultipleClients(count: Int = 1) async {
        await nodes[0].cometd.injectConnectFaults(multipleClients: count)
    }

    /// Requests received so far (no header values, no bodies), oldest first.
    public var requests: [LoggedRequest] { log }

    /// How many Bayeux sessions exist, on every node together.
    public var bayeuxSessions: Int {
        get async {
            var total = 0
            for node in nodes { total += await node.cometd.sessionCount }
            return total
        }
    }

    /// How many Bayeux sessions, on every node together, would be sent a message published
    /// on `channel` now.
    public func bayeuxSessions(subscribedTo channel: String) async -> Int {
        var total = 0
        for node in nodes { total += await node.cometd.sessionCount(subscribedTo: channel) }
        return total
    }

    /// How many connects are held (parked long polls), on every node together.
    public var heldConnects: Int {
        get async {
            var total = 0
            for node in nodes { total += await node.cometd.heldCount }
            return total
        }
    }

    /// How many HTTP sessions node `index` holds (expired ones not yet purged included).
    public func httpSessionCount(node index: Int = 0) -> Int { nodes[index].httpSessions.count }

    /// One step of ``callScript`` for `username`.
    func scriptedCall(_ step: String, username: String) async {
        switch step {
        case "ring": await startCall(username: username, userData: ["scripted": "true"])
        case "answer": await operateCall("Answer", username: username)
        case "hold": await operateCall("Hold", username: username)
        case "retrieve": await operateCall("Retrieve", username: username)
        default: await operateCall("Hangup", username: username)
        }
    }

    /// The operations of scripted activity, in order: every agent goes through them, one
    /// step per interval (states, DND, work modes and a Not Ready reason).
    public static let activityScript: [(operation: String, scope: OperationScope)] = [
        ("Ready", .all), ("DoNotDisturbOn", .all), ("NotReady", .all), ("DoNotDisturbOff", .all),
        ("AfterCallWork", .channel("voice")), ("Ready", .channel("voice")), ("OutToLunch", .all),
        ("AuxWork", .channel("voice")), ("NotReady", .all),
    ]

    /// The call of scripted activity, one entry per step of ``activityScript`` (`nil`: the
    /// step does nothing to calls): a call rings as the agent becomes Ready, is answered,
    /// held, retrieved, and released as the agent goes to after-call work.
    public static let callScript: [String?] = ["ring", "answer", "hold", "retrieve", "release", nil, nil, nil, nil]

    /// Changes every agent every `interval` of the engine's clock, cycling through
    /// ``activityScript`` and ``callScript``, as an agent clicking in a desktop would.
    public func startScriptedActivity(interval: Duration) {
        activity?.cancel()
        let clock = self.clock
        activity = Task { [weak self] in
            var step = 0
            while !Task.isCancelled {
                guard (try? await clock.sleep(for: interval)) != nil, let self else { return }
                let (operation, scope) = Self.activityScript[step % Self.activityScript.count]
                let call = Self.callScript[step % Self.callScript.count]
                for username in self.usernames {
                    await self.apply(operation, scope: scope, username: username)
                    if let call { await self.scriptedCall(call, username: username) }
                }
                step += 1
            }
        }
    }
}
