import JSON
import Testing

@testable import BayeuxCore

/// Drives a ``SessionStateMachine`` like the real driver would, but with a fake transport
/// (the test answers each request) and a fake clock (timers fire when the test says).
struct SessionHarness {
    var machine: SessionStateMachine<ManualInstant>
    var now = ManualInstant(offset: .zero)
    /// Every action, in order, since the harness was made.
    var actions: [SessionAction] = []
    /// Requests sent and not yet answered, failed or cancelled, in send order.
    var open: [OutgoingRequest] = []
    /// The pending timer, if any (the machine only honours the latest).
    var timer: (id: TimerID, due: ManualInstant)?

    init(
        configuration: SessionConfiguration = SessionConfiguration(), extensions: [any BayeuxExtension] = [],
        subscriptions: [String] = []
    ) {
        machine = SessionStateMachine(configuration: configuration, extensions: extensions, seed: 42)
        for channel in subscriptions { handle(.subscribe(channel)) }
    }

    @discardableResult
    mutating func handle(_ event: SessionEvent) -> [SessionAction] {
        let produced = machine.handle(event, now: now)
        actions += produced
        for action in produced {
            switch action {
            case .send(let request): open.append(request)
            case .cancel(let ids): open.removeAll { ids.contains($0.id) }
            case .startTimer(let id, let delay): timer = (id, now.advanced(by: delay))
            case .terminated: timer = nil
            default: break
            }
        }
        return produced
    }

    /// The oldest open request that carries a message on `channel`.
    func openRequest(on channel: String) -> OutgoingRequest? {
        open.first { $0.messages.contains { $0.channel == channel } }
    }

    /// The message on `channel` in the oldest open request carrying one.
    func message(on channel: String) throws -> BayeuxMessage {
        let request = try #require(openRequest(on: channel), "no open request on \(channel)")
        return try #require(request.messages.first { $0.channel == channel })
    }

    /// Answers the request carrying `channel` with `messages` (replies get the right id
    /// when built with ``reply(_:to:_:)``). When that request also carries a connect
    /// (subscriptions ride with the first connect) and `messages` do not answer it, a
    /// successful connect reply follows them, as the server would send.
    @discardableResult
    mutating func respond(on channel: String, with messages: [BayeuxMessage]) throws -> [SessionAction] {
        let request = try #require(openRequest(on: channel), "no open request on \(channel)")
        var messages = messages
        if channel != "/meta/connect", let connect = request.messages.first(where: { $0.channel == "/meta/connect" }),
            !messages.contains(where: { $0.channel == "/meta/connect" })
        {
            var reply = BayeuxMessage(channel: "/meta/connect", ["successful": true])
            reply.id = connect.id
            messages.append(reply)
        }
        open.removeAll { $0.id == request.id }
        return handle(.responseReceived(request.id, messages))
    }

    /// A reply to the pending message on `channel`.
    func reply(_ channel: String, successful: Bool = true, _ fields: JSONObject = [:]) throws -> BayeuxMessage {
        let pending = try message(on: channel)
        var reply = BayeuxMessage(channel: channel, fields)
        reply.id = pending.id
        reply.fields["successful"] = .bool(successful)
        if let subscription = pending.fields["subscription"] { reply.fields["subscription"] = subscription }
        return reply
    }

    /// Fails the request carrying `channel`.
    @discardableResult
    mutating func fail(on channel: String, _ kind: RequestFailureKind = .connect) throws -> [SessionAction] {
        let request = try #require(openRequest(on: channel), "no open request on \(channel)")
        open.removeAll { $0.id == request.id }
        return handle(.requestFailed(request.id, RequestFailure(kind, "test")))
    }

    /// Moves the clock to the pending timer and fires it.
    @discardableResult
    mutating func fireTimer() throws -> [SessionAction] {
        let pending = try #require(timer, "no timer pending")
        timer = nil
        now = max(now, pending.due)
        return handle(.timerFired(pending.id))
    }

    /// Starts the session and answers its handshake with `clientId`; the first connect (and
    /// the subscriptions with it) is left open.
    mutating func handshake(clientId: String = "c1", advice: JSONValue? = nil) throws {
        if machine.state == .disconnected { handle(.start) }
        var fields: JSONObject = ["clientId": .string(clientId), "supportedConnectionTypes": ["long-polling"]]
        if let advice { fields["advice"] = advice }
        try respond(on: "/meta/handshake", with: [reply("/meta/handshake", fields)])
    }

    /// Starts and completes a handshake with `clientId`, then answers the first connect
    /// and the subscriptions sent with it, each successfully.
    mutating func connect(clientId: String = "c1", handshakeAdvice: JSONValue? = nil) throws {
        try handshake(clientId: clientId, advice: handshakeAdvice)
        let request = try #require(openRequest(on: "/meta/connect"), "no first connect")
        let replies = request.messages.map { message -> BayeuxMessage in
            var r = BayeuxMessage(channel: message.channel, ["successful": true])
            r.id = message.id
            if let subscription = message.fields["subscription"] { r.fields["subscription"] = subscription }
            return r
        }
        open.removeAll { $0.id == request.id }
        handle(.responseReceived(request.id, replies))
    }

    /// Every message sent so far on `channel`.
    func sent(on channel: String) -> [BayeuxMessage] {
        actions.flatMap { action -> [BayeuxMessage] in
            if case .send(let request) = action { return request.messages.filter { $0.channel == channel } }
            return []
        }
    }

    /// The messages delivered to the application so far, in order.
    var delivered: [BayeuxMessage] {
        actions.flatMap { action -> [BayeuxMessage] in
            if case .deliver(let messages) = action { return messages }
            return []
        }
    }

    /// The termination reason, once terminated.
    var terminated: TerminationReason? {
        for case .terminated(let reason) in actions { return reason }
        return nil
    }

    /// How many `/meta/connect` requests are open.
    var openConnects: Int { open.filter { $0.isLongPoll }.count }
}

/// A delivery on `channel` with a sequence number in `data`.
func event(_ channel: String, _ seq: Int64) -> BayeuxMessage {
    BayeuxMessage(channel: channel, ["data": ["seq": .int(seq)]])
}
