import JSON

extension SessionStateMachine {
    /// Ends the session: a `/meta/disconnect` when there is a session, bounded by
    /// ``SessionConfiguration/disconnectTimeout``; at once otherwise.
    mutating func disconnect(into actions: inout [SessionAction]) {
        switch phase {
        case .idle, .terminated, .disconnecting:
            return
        case .handshaking:
            terminate(.disconnected, into: &actions)
        case .connecting:
            guard let clientId else {
                terminate(.disconnected, into: &actions)
                return
            }
            phase = .disconnecting
            let id = makeMessageID()
            let message = BayeuxMessage(
                channel: "/meta/disconnect", ["clientId": .string(clientId), "id": .string(id)])
            let deadline = configuration.disconnectTimeout
            if let request = send([message], longPoll: false, timeout: deadline, into: &actions) {
                disconnectInFlight = (request, id)
                startTimer(.disconnectDeadline, after: deadline, into: &actions)
            } else {
                terminate(.disconnected, into: &actions)
            }
        }
    }

    mutating func disconnectReplied(_ reply: BayeuxMessage, into actions: inout [SessionAction]) {
        guard let current = disconnectInFlight, reply.id == current.messageID else {
            counters.staleReplies += 1
            return
        }
        terminate(.disconnected, into: &actions)
    }
}
