import GWS

/// Stopping on request, finishing, and giving up.
extension AgentCoordinator {
    mutating func stop(time: String, into actions: inout [CoordinatorAction]) {
        switch phase {
        case .running, .reconnecting:
            phase = .stopping
            actions.append(.stopBayeux(generation: generation))
        case .idle, .loggingIn, .checkingPassword, .waitingToLogIn:
            finish(time: time, into: &actions)
        case .stopping, .finished:
            break
        }
    }

    mutating func finish(time: String, into actions: inout [CoordinatorAction]) {
        phase = .finished
        pendingTimer = nil
        model.synced = false
        model.retry = nil
        model.clientID = nil
        model.setConnection(.stopped, at: time)
        actions.append(.finished)
    }

    mutating func fail(_ reason: FatalReason, time: String, into actions: inout [CoordinatorAction]) {
        phase = .finished
        pendingTimer = nil
        model.synced = false
        model.retry = nil
        model.clientID = nil
        model.lastError = StateDocument.LastError(message: reason.description, at: time)
        model.setConnection(.disconnected, at: time)
        actions.append(.log(CoordinatorLog(.error, "giving up: \(reason)", [MessageID.key: MessageID.givingUp])))
        actions.append(.exit(reason))
    }
}
