import AgentState
import ControlSocket
import GWS
import JSON
import Locking
import Logging
import Timekeeping

/// The operator operations of the control socket (`docs/control-socket.md`): `snapshot`,
/// `subscribe`, `set` and `states`, answered from the agents' documents and, for requests to
/// GWS, each agent's own GWS session.
///
/// Called on the socket's thread; anything that waits runs in a task.
final class ControlOperations: Sendable {
    private let fleet: AgentFleet
    private let logger: Logger
    private let clock: InjectedClock
    /// The subscriptions by connection: the agent followed, its channel and the observer's token.
    private let subscriptions = Locked<[ControlConnection: (agent: String, channel: PublishedState, token: UInt64)]>(
        [:])

    /// The longest `wait_s` a `set` may ask for.
    static let maximumWait: Double = 300

    init(fleet: AgentFleet, logger: Logger, clock: InjectedClock) {
        self.fleet = fleet
        self.logger = logger
        self.clock = clock
    }

    /// The agent a request is for (its `agent` member, or the only agent), or `nil` after
    /// answering why there is none.
    func agent(for request: ControlRequest, _ connection: ControlConnection) -> String? {
        let name = request.arguments["agent"]
        if let name, name != .null, name.stringValue == nil {
            connection.send(ControlProtocol.reply(ControlError(.badRequest, "\"agent\" is a username", id: request.id)))
            return nil
        }
        switch AgentChoice.choose(name?.stringValue, among: fleet.usernames, by: .daemon) {
        case .success(let agent): return agent
        case .failure(let refusal):
            connection.send(ControlProtocol.reply(ControlError(.unknownAgent, refusal.description, id: request.id)))
            return nil
        }
    }

    /// The running session of `agent`, or `nil` after answering that it has none.
    private func runner(of agent: String, _ request: ControlRequest, _ connection: ControlConnection) -> AgentRunner? {
        if let runner = fleet.runner(of: agent) { return runner }
        connection.send(
            ControlProtocol.reply(
                ControlError(
                    .unavailable, "the agent \(agent) has no GWS session now (its session gave up; waiting to retry)",
                    id: request.id)))
        return nil
    }

    /// `snapshot`: the agent's latest document.
    func snapshot(_ request: ControlRequest, _ connection: ControlConnection) {
        guard let agent = agent(for: request, connection) else { return }
        guard let document = fleet.published(of: agent)?.latest else {
            return connection.send(
                ControlProtocol.reply(ControlError(.unavailable, "no state document written yet", id: request.id)))
        }
        connection.send(ControlProtocol.reply(id: request.id, ["state": document.json]))
    }

    /// `subscribe`: the current document, then one `state` event per new document, until
    /// the client goes. It follows the agent by name: across a new GWS session, and across
    /// its removal (an `ended` event) and return (events again). A client that does not read
    /// is dropped by the server's output limit, never waited for.
    func subscribe(_ request: ControlRequest, _ connection: ControlConnection) {
        guard let agent = agent(for: request, connection), let channel = fleet.published(of: agent) else { return }
        let id = request.id
        let token = channel.observe { event in
            switch event {
            case .document(let document, _):
                connection.send(ControlProtocol.event(id: id, "state", ["state": document.json]))
            case .ended:
                connection.send(ControlProtocol.event(id: id, "ended", ["agent": .string(agent)]))
            }
        }
        let previous = subscriptions.withLock { $0.updateValue((agent, channel, token), forKey: connection) }
        if let previous {
            previous.channel.stopObserving(previous.token)
        } else {
            connection.beginActivity()
        }
        let current = channel.latest.map(\.json) ?? .null
        connection.send(ControlProtocol.reply(id: id, ["subscribed": true, "state": current]))
    }

    /// The client is gone: its subscription ends.
    func disconnected(_ connection: ControlConnection) {
        if let previous = subscriptions.withLock({ $0.removeValue(forKey: connection) }) {
            previous.channel.stopObserving(previous.token)
            fleet.releaseChannel(of: previous.agent)
        }
    }

    /// How many clients are subscribed.
    var subscriberCount: Int { subscriptions.withLock { $0.count } }

    /// `set`: the operation over the agent's own GWS session; with `wait_s`, answered once a
    /// notification confirms the change (no polling), or `timeout`. `done` runs once answered.
    func set(
        _ request: ControlRequest, _ connection: ControlConnection, agent: String, metadata: Logger.Metadata,
        done: @escaping @Sendable () -> Void
    ) {
        guard let runner = runner(of: agent, request, connection) else { return done() }
        let parsed: (OperationRequest, Duration?)
        switch Self.parseSet(request.arguments) {
        case .success(let value): parsed = value
        case .failure(let message):
            connection.send(ControlProtocol.reply(ControlError(.badRequest, message.description, id: request.id)))
            return done()
        }
        let (operation, wait) = parsed
        var logged = metadata
        logged["gws.operation"] = "\(operation.operation.name)"
        logged["gws.scope"] = "\(operation.operation.scope)"
        logged[MessageID.key] = "\(MessageID.operatorCommand)"
        logged["gws.username"] = "\(agent)"
        logger.notice("control: set \(operation.operation.name) on \(operation.operation.scope)", metadata: logged)
        let id = request.id
        let clock = self.clock
        Task {
            defer { done() }
            // Watch before posting, so that a quick notification is not missed.
            let watch = wait.map { _ in ConfirmationWatch(runner.published, for: operation, clock: clock) }
            defer { watch?.cancel() }
            guard let result = await runner.operate(operation.operation) else {
                return connection.send(
                    ControlProtocol.reply(ControlError(.unavailable, "the daemon has no GWS session now", id: id)))
            }
            let accepted: JSONObject
            switch result {
            case .failure(let error):
                let code: ControlError.Code = error.isUnreachable ? .unavailable : .rejected
                return connection.send(ControlProtocol.reply(ControlError(code, error.description, id: id)))
            case .success(.rejected(let code, let message)):
                return connection.send(
                    ControlProtocol.reply(
                        ControlError(.rejected, GWSReplyError.status(code: code, message: message).description, id: id)
                    ))
            case .success(.accepted):
                accepted = ["accepted": true]
            case .success(.partiallyAccepted(let message)):
                accepted = ["accepted": true, "partial": .string(message ?? "GWS accepted only part of the request")]
            }
            guard let watch, let wait else { return connection.send(ControlProtocol.reply(id: id, accepted)) }
            if let document = await watch.confirmation(within: wait) {
                var members = accepted
                members["confirmed"] = true
                members["state"] = document.json
                connection.send(ControlProtocol.reply(id: id, members))
            } else {
                connection.send(
                    ControlProtocol.reply(
                        ControlError(
                            .timeout, "GWS accepted the request, but no notification confirmed it within \(wait)",
                            id: id)))
            }
        }
    }

    /// `states`: the operations GWS offers (`GET /api/v2/settings/agent-states`). `done` runs once answered.
    func states(
        _ request: ControlRequest, _ connection: ControlConnection, agent: String, done: @escaping @Sendable () -> Void
    ) {
        guard let runner = runner(of: agent, request, connection) else { return done() }
        let id = request.id
        Task {
            defer { done() }
            switch await runner.agentStates() {
            case nil:
                connection.send(
                    ControlProtocol.reply(ControlError(.unavailable, "the daemon has no GWS session now", id: id)))
            case .failure(let error)?:
                let code: ControlError.Code = error.isUnreachable ? .unavailable : .rejected
                connection.send(ControlProtocol.reply(ControlError(code, error.description, id: id)))
            case .success(let settings)?:
                connection.send(ControlProtocol.reply(id: id, ["states": .array(settings.map(\.json))]))
            }
        }
    }

    /// Reads `set`'s arguments: `operation` (required), `channel` or `device`, `wait_s`.
    static func parseSet(_ arguments: JSONObject) -> Result<(OperationRequest, Duration?), ArgumentError> {
        guard let name = arguments["operation"]?.stringValue, !name.isEmpty, name.utf8.count <= 128,
            !name.contains(where: { $0 == "\"" || $0 == "/" || $0.isNewline })
        else {
            return .failure(
                ArgumentError("\"operation\" (an operation name such as Ready or DoNotDisturbOn) is required"))
        }
        let channel = arguments["channel"]
        let device = arguments["device"]
        let scope: AgentOperation.Scope
        switch (channel?.stringValue, device?.stringValue) {
        case (nil, nil) where (channel ?? .null) == .null && (device ?? .null) == .null: scope = .all
        case (let name?, nil) where !name.isEmpty && name.utf8.count <= 128 && !name.contains("/"):
            scope = .channel(name)
        case (nil, let id?) where !id.isEmpty && id.utf8.count <= 128 && !id.contains("/"): scope = .device(id)
        default:
            return .failure(ArgumentError("give at most one of \"channel\" and \"device\", each a name without /"))
        }
        var wait: Duration?
        if let value = arguments["wait_s"], value != .null {
            guard let seconds = value.doubleValue, seconds > 0, seconds <= maximumWait else {
                return .failure(ArgumentError("\"wait_s\" is a number of seconds above 0 and at most 300"))
            }
            wait = .milliseconds(Int64(seconds * 1000))
        }
        return .success((OperationRequest.named(name, scope: scope), wait))
    }

    /// Why a request's arguments were refused.
    struct ArgumentError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// Waits for the state document that confirms an operation: a newer notification than
/// the one in effect when the watch began, showing the change for the operation's scope.
final class ConfirmationWatch: Sendable {
    private let published: PublishedState
    private let clock: InjectedClock
    private let token: UInt64
    private let documents: AsyncStream<StateDocument>
    private let sink: AsyncStream<StateDocument>.Continuation

    init(_ published: PublishedState, for request: OperationRequest, clock: InjectedClock) {
        self.published = published
        self.clock = clock
        let before = published.latest?.agent.lastNotificationAt
        (documents, sink) = AsyncStream.makeStream(of: StateDocument.self, bufferingPolicy: .bufferingNewest(1))
        let sink = self.sink
        token = published.observe { event in
            switch event {
            case .document(let document, _):
                if document.agent.lastNotificationAt != before, request.isConfirmed(by: document.agent) {
                    sink.yield(document)
                    sink.finish()
                }
            case .ended:
                sink.finish()
            }
        }
    }

    /// The confirming document, or `nil` when `timeout` passes first.
    func confirmation(within timeout: Duration) async -> StateDocument? {
        let sink = self.sink
        let clock = self.clock
        let deadline = clock.now + timeout
        let timer = Task {
            guard (try? await clock.sleep(until: deadline)) != nil else { return }
            sink.finish()
        }
        defer { timer.cancel() }
        for await document in documents { return document }
        return nil
    }

    /// Stops watching.
    func cancel() {
        published.stopObserving(token)
        sink.finish()
    }
}

extension AgentStateSetting {
    /// The operation as `states --json` and the control socket's `states` show it.
    public var json: JSONValue {
        [
            "operation": .string(operationName),
            "state": state.map(JSONValue.string) ?? .null,
            "work_mode": workMode.map(JSONValue.string) ?? .null,
            "reason": reason.map(JSONValue.string) ?? .null,
            "display_name": displayName.map(JSONValue.string) ?? .null,
        ]
    }
}
