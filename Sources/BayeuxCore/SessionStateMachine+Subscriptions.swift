import JSON

extension SessionStateMachine {
    /// Adds `channel` to the desired set and subscribes now if a session exists.
    mutating func subscribe(_ channel: String, into actions: inout [SessionAction]) {
        guard let pattern = ChannelPattern(channel), !channel.hasPrefix("/meta/") else {
            actions.append(.subscriptionFailed(channel, error: "invalid channel name"))
            return
        }
        guard !desiredSubscriptions.contains(pattern) else { return }
        desiredSubscriptions.append(pattern)
        if clientId != nil, phase == .connecting { sendSubscriptions(into: &actions) }
    }

    /// Removes `channel` from the desired set; unsubscribes if the server has it. During an
    /// outage it is simply forgotten, so the next handshake does not subscribe it again.
    mutating func unsubscribe(_ channel: String, into actions: inout [SessionAction]) {
        guard let index = desiredSubscriptions.firstIndex(where: { $0.name == channel }) else { return }
        desiredSubscriptions.remove(at: index)
        guard let status = subscriptionStatus.removeValue(forKey: channel) else { return }
        if case .pending(let id) = status { pendingSubscriptionReplies[id] = nil }
        guard let clientId, phase == .connecting, status != .failed else { return }
        let id = makeMessageID()
        pendingSubscriptionReplies[id] = channel
        let message = BayeuxMessage(
            channel: "/meta/unsubscribe",
            ["clientId": .string(clientId), "subscription": .string(channel), "id": .string(id)])
        if let request = send([message], longPoll: false, timeout: configuration.maxNetworkDelay, into: &actions) {
            controlMessages[request] = [id]
        }
    }

    /// Sends, in one batch, a subscribe for every desired channel the session lacks. Called
    /// after each handshake, and after each successful connect to re-send subscribes whose
    /// request was lost in transit.
    mutating func sendSubscriptions(into actions: inout [SessionAction]) {
        let batch = subscriptionBatch()
        guard !batch.messages.isEmpty else { return }
        if let request = send(
            batch.messages, longPoll: false, timeout: configuration.maxNetworkDelay, into: &actions)
        {
            controlMessages[request] = batch.ids
        }
    }

    /// A subscribe message for each wanted channel not yet subscribed or asked for, now
    /// marked as asked for, with their message ids (for ``controlMessages``).
    mutating func subscriptionBatch() -> SubscriptionBatch {
        guard let clientId else { return SubscriptionBatch() }
        var batch = SubscriptionBatch()
        for pattern in desiredSubscriptions where subscriptionStatus[pattern.name] == nil {
            let id = makeMessageID()
            subscriptionStatus[pattern.name] = .pending(messageID: id)
            pendingSubscriptionReplies[id] = pattern.name
            batch.ids.append(id)
            batch.messages.append(
                BayeuxMessage(
                    channel: "/meta/subscribe",
                    ["clientId": .string(clientId), "subscription": .string(pattern.name), "id": .string(id)]))
        }
        return batch
    }

    /// A control request failed in transit: its subscriptions go back to "not sent".
    mutating func forgetSubscriptionMessages(_ ids: [String]) {
        for id in ids {
            guard let channel = pendingSubscriptionReplies.removeValue(forKey: id) else { continue }
            if subscriptionStatus[channel] == .pending(messageID: id) { subscriptionStatus[channel] = nil }
        }
    }

    mutating func subscriptionReplied(_ reply: BayeuxMessage, into actions: inout [SessionAction]) {
        guard let id = reply.id, let channel = pendingSubscriptionReplies.removeValue(forKey: id) else {
            counters.staleReplies += 1
            return
        }
        guard reply.channel == "/meta/subscribe" else {
            if reply.successful != true { countUnsuccessful(reply) }
            return
        }
        guard subscriptionStatus[channel] == .pending(messageID: id) else { return }
        if reply.successful == true {
            subscriptionStatus[channel] = .confirmed
            actions.append(.subscribed(channel))
        } else {
            countUnsuccessful(reply)
            subscriptionStatus[channel] = .failed
            actions.append(.subscriptionFailed(channel, error: reply.error ?? "subscription refused"))
        }
    }
}

/// Subscribe messages to send in one request, and their ids.
struct SubscriptionBatch {
    var messages: [BayeuxMessage] = []
    var ids: [String] = []
}
