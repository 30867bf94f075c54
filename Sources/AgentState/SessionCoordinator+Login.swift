import BayeuxCore
import GWS

/// Logging in: the REST snapshot that starts a session, its retries and failures.
extension SessionCoordinator {
    mutating func logIn(into actions: inout [CoordinatorAction]) {
        lastToken += 1
        phase = .loggingIn(token: lastToken)
        actions.append(.fetchSnapshot(token: lastToken))
    }

    mutating func snapshotFetched(
        token: UInt64, _ outcome: SnapshotOutcome, time: String, into actions: inout [CoordinatorAction]
    ) {
        if phase == .loggingIn(token: token) {
            loginFinished(outcome, time: time, into: &actions)
        } else if resync == .fetching(token: token), phase == .running {
            resyncFinished(outcome, time: time, into: &actions)
        }
    }

    mutating func loginFinished(_ outcome: SnapshotOutcome, time: String, into actions: inout [CoordinatorAction]) {
        switch outcome {
        case .success(let snapshot):
            restFailures = 0
            authFailures = 0
            model.retry = nil
            model.replace(with: snapshot)
            model.synced = false
            phase = .running
            resync = .idle
            generation += 1
            actions.append(.log(CoordinatorLog(.info, "logged in to GWS", ["gws.username": model.username])))
            actions.append(.startBayeux(generation: generation))
        case .unauthorized(let detail), .failed(let detail):
            if restFailed(outcome, detail, time: time, into: &actions) { return }
            phase = .waitingToLogIn
            scheduleRetry(.login, reason: detail, into: &actions)
        }
    }

    /// Counts a REST failure; returns true when it ended the daemon.
    mutating func restFailed(
        _ outcome: SnapshotOutcome, _ detail: String, time: String, into actions: inout [CoordinatorAction]
    ) -> Bool {
        model.lastError = StateDocument.LastError(message: detail, at: time)
        restFailures += 1
        guard case .unauthorized = outcome else {
            actions.append(.log(CoordinatorLog(.warning, "GWS request failed: \(detail)")))
            return false
        }
        authFailures += 1
        actions.append(
            .log(CoordinatorLog(.warning, "GWS refused the credentials: \(detail)", ["gws.username": model.username])))
        if authFailures >= settings.maxAuthenticationFailures {
            fail(.authenticationFailed(detail), time: time, into: &actions)
            return true
        }
        return false
    }

    mutating func scheduleRetry(_ purpose: TimerPurpose, reason: String, into actions: inout [CoordinatorAction]) {
        let delay = settings.backoff.delay(afterFailures: restFailures, random: random.unit())
        lastTimerID += 1
        pendingTimer = (lastTimerID, purpose)
        if purpose == .login { model.retry = AgentModel.Retry(after: delay, reason: reason) }
        actions.append(.startTimer(id: lastTimerID, after: delay))
    }
}
