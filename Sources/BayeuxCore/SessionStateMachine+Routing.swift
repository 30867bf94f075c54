extension SessionStateMachine {
    /// Routes every element of a response by channel: meta replies to their handlers
    /// (correlated by id), everything else to the application. Consecutive deliveries are
    /// handed over together, in array order, wherever the replies sit in the array.
    mutating func received(
        _ messages: [BayeuxMessage], for request: RequestID, now: Instant, into actions: inout [SessionAction]
    ) {
        guard inFlight.remove(request) != nil else {
            counters.staleReplies += 1
            return
        }
        let control = controlMessages.removeValue(forKey: request)
        var deliveries: [BayeuxMessage] = []
        func flush(_ actions: inout [SessionAction]) {
            guard !deliveries.isEmpty else { return }
            actions.append(.deliver(deliveries))
            deliveries.removeAll(keepingCapacity: true)
        }
        for var message in messages {
            guard phase != .terminated else { break }
            guard runIncoming(&message) else { continue }
            let channel = message.channel
            guard channel.hasPrefix("/meta/") else {
                if message.data == nil {
                    counters.ignoredMessages += 1  // a publish acknowledgement
                } else if desiredSubscriptions.contains(where: { $0.matches(channel) }) {
                    counters.messagesDelivered += 1
                    deliveries.append(message)
                } else {
                    counters.messagesUnmatched += 1
                }
                continue
            }
            flush(&actions)
            switch channel {
            case "/meta/connect": connectReplied(message, now: now, into: &actions)
            case "/meta/handshake": handshakeReplied(message, now: now, into: &actions)
            case "/meta/subscribe", "/meta/unsubscribe": subscriptionReplied(message, into: &actions)
            case "/meta/disconnect": disconnectReplied(message, into: &actions)
            default: counters.ignoredMessages += 1
            }
        }
        flush(&actions)
        // Subscriptions the response did not answer (a server that ignores a subscribe sent
        // beside a connect) would otherwise wait for ever: they go back to "not sent" and the
        // next connect's turn sends them again.
        if let control {
            forgetSubscriptionMessages(control.filter { pendingSubscriptionReplies[$0] != nil })
        }
        // A response that did not contain the reply to the request it answers is a failure
        // of that request (for example an empty array from a confused proxy).
        if let connect = connectInFlight, connect.request == request {
            requestFailed(request, RequestFailure(.malformed, "no /meta/connect reply"), now: now, into: &actions)
        } else if let handshake = handshakeInFlight, handshake.request == request {
            requestFailed(request, RequestFailure(.malformed, "no /meta/handshake reply"), now: now, into: &actions)
        }
    }

    /// A request produced no Bayeux response at all.
    mutating func requestFailed(
        _ request: RequestID, _ failure: RequestFailure, now: Instant, into actions: inout [SessionAction]
    ) {
        inFlight.remove(request)
        let lostControl = controlMessages.removeValue(forKey: request)
        // Subscriptions lost with the request (alone, or beside a connect) go back to "not
        // sent", so the next connect's turn sends them again.
        if let lostControl { forgetSubscriptionMessages(lostControl) }
        if let connect = connectInFlight, connect.request == request {
            counters.requestFailures[failure.kind, default: 0] += 1
            connectInFlight = nil
            if phase != .disconnecting {
                if failure.kind == .tooLarge { tooLargeConnects += 1 }
                if tooLargeConnects >= 2 {
                    // Twice more than the client reads, with no successful connect between
                    // (other failures do not empty the server's queue either): a queue, not
                    // a garbled reply. With the ack extension the server sends it again on
                    // every connect of this session, so retrying can never succeed: start a
                    // new session (the application resyncs after a re-handshake).
                    rehandshake(after: nextBackoff(), into: &actions)
                } else {
                    connectFailed(now: now, into: &actions)
                }
            }
        } else if let handshake = handshakeInFlight, handshake.request == request {
            counters.requestFailures[failure.kind, default: 0] += 1
            handshakeInFlight = nil
            handshakeFailed(reconnect: nil, advice: nil, error: failure.description, into: &actions)
        } else if let disconnect = disconnectInFlight, disconnect.request == request {
            counters.requestFailures[failure.kind, default: 0] += 1
            terminate(.disconnected, into: &actions)
        } else if lostControl != nil {
            counters.requestFailures[failure.kind, default: 0] += 1
        } else {
            counters.staleReplies += 1
        }
    }
}
