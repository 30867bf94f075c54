import JSON

extension SessionStateMachine {
    // Connect request (Bayeux 1.0 §4.2): channel, clientId, connectionType MUST; id, ext,
    // advice MAY. The first connect of a session (and the first after a failure) asks the
    // server to answer at once with `advice.timeout: 0`, so "connected" is known promptly.
    //
    // An immediate connect carries the subscriptions not yet sent, ahead of it in the same
    // request (Bayeux lets any message but a handshake share a request with a connect; its
    // answer does not wait for a poll). Over HTTP/1.1 that is one connection where two
    // requests side by side open a second one: a TLS handshake at every login of every
    // agent. A held connect never carries them: their replies would wait for the poll.
    mutating func sendConnect(into actions: inout [SessionAction]) {
        guard phase == .connecting, let clientId, connectInFlight == nil else { return }
        let id = makeMessageID()
        var fields: JSONObject = [
            "clientId": .string(clientId), "connectionType": .string(Self.connectionType), "id": .string(id),
        ]
        let hold: Duration
        if nextConnectIsImmediate {
            fields["advice"] = ["timeout": 0]
            hold = .zero
        } else if let requested = configuration.requestedTimeout {
            fields["advice"] = ["timeout": .int(requested.wholeMilliseconds)]
            hold = min(requested, advice.timeout)
        } else {
            hold = advice.timeout
        }
        counters.connects += 1
        let message = BayeuxMessage(channel: "/meta/connect", fields)
        let batched = hold == .zero ? subscriptionBatch() : SubscriptionBatch()
        if let request = send(
            batched.messages + [message], longPoll: true, timeout: hold + configuration.maxNetworkDelay,
            into: &actions)
        {
            connectInFlight = (request, id)
            if !batched.ids.isEmpty { controlMessages[request] = batched.ids }
        } else {
            forgetSubscriptionMessages(batched.ids)
        }
    }

    mutating func connectReplied(_ reply: BayeuxMessage, now: Instant, into actions: inout [SessionAction]) {
        guard let current = connectInFlight, reply.id == current.messageID else {
            counters.staleReplies += 1
            return
        }
        connectInFlight = nil
        inFlight.remove(current.request)
        // The server answers the held poll when it processes our disconnect (often with
        // `402` and `reconnect: handshake`): the session is ending, so nothing follows.
        guard phase != .disconnecting else { return }
        advice.merge(reply.advice)
        let replyReconnect = Advice.reconnect(in: reply.advice)
        guard reply.successful == true else {
            countUnsuccessful(reply)
            switch replyReconnect ?? .retry {
            case .none: terminate(.serverRefused(reply.error), into: &actions)
            case .handshake: rehandshake(after: max(advice.interval, .zero) + nextBackoff(), into: &actions)
            case .retry: connectFailed(now: now, into: &actions)
            }
            return
        }
        counters.successfulConnects += 1
        failures = 0
        tooLargeConnects = 0
        unconnectedSince = nil
        nextConnectIsImmediate = false
        switch replyReconnect {
        case .none?:
            terminate(.serverRefused(reply.error), into: &actions)
            return
        case .handshake?:
            // A successful reply may still tell us the session is over (cometd#2057).
            rehandshake(after: max(advice.interval, .zero), into: &actions)
            return
        case .retry?, nil:
            break
        }
        if advice.interval < .zero {
            terminate(.serverRefused("negative interval advice"), into: &actions)
            return
        }
        setState(.connected, into: &actions)
        sendSubscriptions(into: &actions)
        if advice.interval > .zero {
            startTimer(.connect, after: advice.interval, into: &actions)
        } else {
            sendConnect(into: &actions)
        }
    }

    /// A connect failed with the session presumably alive: retry with backoff, or switch
    /// to a handshake once the server would have swept the session (`maxInterval`).
    mutating func connectFailed(now: Instant, into actions: inout [SessionAction]) {
        let since = unconnectedSince ?? now
        unconnectedSince = since
        let delay = nextBackoff()
        if let maxInterval = advice.maxInterval,
            since.duration(to: now) + delay > advice.timeout + max(advice.interval, .zero) + maxInterval
        {
            rehandshake(after: delay, into: &actions)
            return
        }
        setState(.unconnected, into: &actions)
        nextConnectIsImmediate = true
        startTimer(.connect, after: max(advice.interval, .zero) + delay, into: &actions)
    }
}
