import JSON

extension SessionStateMachine {
    /// The connection type this client speaks.
    static var connectionType: String { "long-polling" }

    mutating func start(now: Instant, into actions: inout [SessionAction]) {
        guard phase == .idle || phase == .terminated else { return }
        failures = 0
        unconnectedSince = nil
        hasHandshaken = false
        counters = SessionCounters()
        setState(.handshaking, into: &actions)
        beginHandshake(after: .zero, into: &actions)
    }

    /// Forgets the server session and schedules a handshake after `delay`.
    mutating func beginHandshake(after delay: Duration, into actions: inout [SessionAction]) {
        cancelInFlight(into: &actions)
        phase = .handshaking
        clientId = nil
        connectInFlight = nil
        handshakeInFlight = nil
        subscriptionStatus = [:]
        pendingSubscriptionReplies = [:]
        if delay > .zero {
            startTimer(.handshake, after: delay, into: &actions)
        } else {
            pendingTimer = nil
            sendHandshake(into: &actions)
        }
    }

    /// Drops the session after the server (or the maxInterval rule) said it is gone.
    mutating func rehandshake(after delay: Duration, into actions: inout [SessionAction]) {
        setState(hasHandshaken ? .rehandshaking : .handshaking, into: &actions)
        beginHandshake(after: delay, into: &actions)
    }

    // Handshake request (Bayeux 1.0 §4.1): channel, version, supportedConnectionTypes MUST;
    // minimumVersion, ext, id MAY. Application fields from the configuration are merged.
    mutating func sendHandshake(into actions: inout [SessionAction]) {
        let id = makeMessageID()
        var fields = configuration.handshakeFields
        fields["version"] = "1.0"
        fields["minimumVersion"] = "1.0"
        fields["supportedConnectionTypes"] = [.string(Self.connectionType)]
        fields["id"] = .string(id)
        counters.handshakes += 1
        let message = BayeuxMessage(channel: "/meta/handshake", fields)
        if let request = send([message], longPoll: false, timeout: configuration.maxNetworkDelay, into: &actions) {
            handshakeInFlight = (request, id)
        }
    }

    mutating func handshakeReplied(_ reply: BayeuxMessage, now: Instant, into actions: inout [SessionAction]) {
        guard let current = handshakeInFlight, reply.id == current.messageID else {
            counters.staleReplies += 1
            return
        }
        handshakeInFlight = nil
        let replyReconnect = Advice.reconnect(in: reply.advice)
        guard reply.successful == true, let clientId = reply.clientId, !clientId.isEmpty else {
            countUnsuccessful(reply)
            handshakeFailed(reconnect: replyReconnect, advice: reply.advice, error: reply.error, into: &actions)
            return
        }
        if let offered = reply.fields["supportedConnectionTypes"]?.arrayValue?.compactMap(\.stringValue),
            !offered.isEmpty, !offered.contains(Self.connectionType)
        {
            terminate(.noCommonTransport(serverTypes: offered), into: &actions)
            return
        }
        advice = .initial
        advice.merge(reply.advice)
        if replyReconnect == ReconnectAdvice.none {
            terminate(.serverRefused(reply.error), into: &actions)
            return
        }
        counters.successfulHandshakes += 1
        self.clientId = clientId
        phase = .connecting
        nextConnectIsImmediate = true
        actions.append(.handshook(clientId: clientId, rehandshake: hasHandshaken))
        hasHandshaken = true
        tooLargeConnects = 0
        // The subscriptions ride with this first connect (see `sendConnect`).
        sendConnect(into: &actions)
    }

    /// A handshake was refused or never answered: retry per advice with backoff, or stop.
    mutating func handshakeFailed(
        reconnect: ReconnectAdvice?, advice replyAdvice: JSONValue?, error: String?,
        into actions: inout [SessionAction]
    ) {
        if reconnect == ReconnectAdvice.none {
            terminate(.serverRefused(error), into: &actions)
            return
        }
        var scratch = Advice.initial
        scratch.merge(replyAdvice)
        let interval = max(scratch.interval, .zero)
        beginHandshake(after: interval + nextBackoff(), into: &actions)
    }
}
