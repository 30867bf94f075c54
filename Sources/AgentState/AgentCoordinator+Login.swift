import BayeuxCore
import GWS

/// Logging in: a fresh HTTP session and the REST snapshot that starts a session, its
/// retries, the password check after a refusal, and moving to another node.
extension AgentCoordinator {
    /// Logs in on the current node in a fresh HTTP session.
    mutating func logIn(into actions: inout [CoordinatorAction]) {
        lastToken += 1
        phase = .loggingIn(token: lastToken)
        model.logins += 1
        if settings.servers.indices.contains(node) { model.server = settings.servers[node] }
        actions.append(.logIn(token: lastToken, node: node))
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
            nodeFailures = 0
            refusedLogin = nil
            model.retry = nil
            model.replace(with: snapshot)
            model.synced = false
            phase = .running
            resync = .idle
            generation += 1
            clientActive = true
            var metadata = ["gws.username": model.username]
            if let server = model.server { metadata["gws.server"] = server }
            // Debug: "connected to GWS" follows at info; a fleet's start logs one line per agent, not three.
            actions.append(.log(CoordinatorLog(.debug, "logged in to GWS", metadata)))
            actions.append(.startBayeux(generation: generation))
        case .unauthorized(let detail):
            // Before the refusal counts, the password may have changed at its source.
            model.lastError = StateDocument.LastError(message: "GWS refused the credentials: \(detail)", at: time)
            refusedLogin = detail
            guard case .loggingIn(let token) = phase else { return }
            phase = .checkingPassword(token: token)
            actions.append(.rereadPassword(token: token))
        case .nodeFailed(let detail):
            if nodeFailed(detail, time: time, into: &actions) { return }
            loginRetry(detail, time: time, into: &actions)
        case .forbidden(let detail), .failed(let detail):
            loginRetry(detail, time: time, into: &actions)
        }
    }

    /// A login failed for a reason other than the credentials: retry after the backoff.
    mutating func loginRetry(_ detail: String, time: String, into actions: inout [CoordinatorAction]) {
        model.lastError = StateDocument.LastError(message: detail, at: time)
        restFailures += 1
        logProblem("GWS request failed: \(detail)", into: &actions)
        phase = .waitingToLogIn
        scheduleRetry(.login, reason: detail, into: &actions)
    }

    /// The password was read again after a refused login.
    mutating func passwordChecked(_ check: PasswordCheck, time: String, into actions: inout [CoordinatorAction]) {
        let detail = refusedLogin ?? "HTTP 401"
        switch check {
        case .changed:
            actions.append(
                .log(
                    CoordinatorLog(
                        .notice, "the password changed at its source; logging in with the new one",
                        ["gws.username": model.username])))
            logIn(into: &actions)
            return
        case .unreadable(let problem):
            actions.append(.log(CoordinatorLog(.error, "cannot read the password again: \(problem)")))
        case .unchanged:
            break
        }
        authFailures += 1
        restFailures += 1
        logProblem("GWS refused the credentials: \(detail)", ["gws.username": model.username], into: &actions)
        if authFailures >= settings.maxAuthenticationFailures {
            fail(.authenticationFailed(detail), time: time, into: &actions)
            return
        }
        phase = .waitingToLogIn
        scheduleRetry(.login, reason: "GWS refused the credentials: \(detail)", into: &actions)
    }

    /// Counts a failure of the current node; with a cluster, past the threshold, moves to
    /// the next node and logs in there at once. Returns whether it moved.
    mutating func nodeFailed(_ detail: String, time: String, into actions: inout [CoordinatorAction]) -> Bool {
        nodeFailures += 1
        let count = settings.servers.count
        guard count > 1, nodeFailures >= settings.failoverAfter else { return false }
        let from = settings.servers[node % count]
        node = (node + 1) % count
        nodeFailures = 0
        restFailures = 0
        model.failovers += 1
        model.lastError = StateDocument.LastError(message: "GWS node \(from) failed: \(detail)", at: time)
        actions.append(
            .log(
                CoordinatorLog(
                    .warning, "GWS node failed (\(detail)); moving to the next node",
                    ["gws.server": from, "gws.next_server": settings.servers[node]])))
        dropClient(into: &actions)
        model.synced = false
        model.clientID = nil
        model.setConnection(.connecting, at: time)
        logIn(into: &actions)
        return true
    }

    /// Stops caring about the running Bayeux client (no disconnect) and its resync.
    mutating func dropClient(into actions: inout [CoordinatorAction]) {
        if clientActive { actions.append(.abandonBayeux(generation: generation)) }
        clientActive = false
        resync = .idle
        resyncBuffer = []
        subscriptionProblems = []
        pendingTimer = nil
    }

    /// GWS forgot the HTTP session (a 401 or 403 on CometD or REST): log in again in a
    /// fresh one. The first loss after a stable period logs in at once; further losses
    /// wait for the backoff, so that a server that accepts every login and refuses the
    /// next request is asked a few times a second at most.
    mutating func httpSessionLost(_ reason: String, time: String, into actions: inout [CoordinatorAction]) {
        if let recoveredAt, let now, recoveredAt.duration(to: now) >= settings.stablePeriod { sessionLosses = 0 }
        recoveredAt = nil
        sessionLosses += 1
        model.httpSessionLosses += 1
        model.lastError = StateDocument.LastError(message: "GWS refused the HTTP session: \(reason)", at: time)
        model.synced = false
        model.clientID = nil
        model.setConnection(.rehandshaking, at: time)
        logProblem("GWS session lost (\(reason)); logging in again", into: &actions)
        dropClient(into: &actions)
        let delay = settings.backoff.delay(afterFailures: sessionLosses - 1, random: random.unit())
        if delay == .zero {
            logIn(into: &actions)
        } else {
            phase = .waitingToLogIn
            startTimer(.login, after: delay, reason: "GWS refused the HTTP session: \(reason)", into: &actions)
        }
    }

    mutating func scheduleRetry(_ purpose: TimerPurpose, reason: String, into actions: inout [CoordinatorAction]) {
        let delay = settings.backoff.delay(afterFailures: restFailures, random: random.unit())
        startTimer(purpose, after: delay, reason: reason, into: &actions)
    }

    mutating func startTimer(
        _ purpose: TimerPurpose, after delay: Duration, reason: String, into actions: inout [CoordinatorAction]
    ) {
        lastTimerID += 1
        pendingTimer = (lastTimerID, purpose)
        if purpose == .login { model.retry = AgentModel.Retry(after: delay, reason: reason) }
        actions.append(.startTimer(id: lastTimerID, after: delay))
    }
}
