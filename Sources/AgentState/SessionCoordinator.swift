import BayeuxCore
import GWS

/// The daemon's session with GWS as a pure state machine: events in, actions out.
///
/// It logs in over REST, starts a Bayeux client, and after every (re)handshake waits for
/// the subscriptions, then re-reads the REST snapshot so that nothing changed while
/// disconnected is missed. Notifications that arrive while a snapshot is in flight are
/// kept and applied again on top of it. REST failures are retried with backoff; repeated
/// authentication refusals and `reconnect: none` end the daemon. It performs no I/O and
/// reads no clock: the driver passes the current instant and wall-clock time.
public struct SessionCoordinator<Instant: InstantProtocol<Duration>>: Sendable where Instant: Sendable {
    /// What the coordinator is doing.
    enum Phase: Equatable {
        case idle
        case loggingIn(token: UInt64)
        case waitingToLogIn
        case running
        /// Stopping the Bayeux client to log in again with new settings.
        case reconnecting
        case stopping
        case finished
    }

    /// Where the resynchronisation after the latest handshake stands.
    enum Resync: Equatable {
        case idle
        case awaitingSubscriptions(Set<String>)
        case fetching(token: UInt64)
        case waitingToRetry
        case done
    }

    /// What a pending timer is for.
    enum TimerPurpose: Equatable { case login, resync }

    public private(set) var model: AgentModel
    public private(set) var settings: CoordinatorSettings
    var phase: Phase = .idle
    var resync: Resync = .idle
    /// Notifications received since the current resync's snapshot was requested.
    var resyncBuffer: [GWSNotification] = []
    var generation = 0
    var lastToken: UInt64 = 0
    var lastTimerID: UInt64 = 0
    var pendingTimer: (id: UInt64, purpose: TimerPurpose)?
    var restFailures = 0
    var authFailures = 0
    var subscriptionProblems: Set<String> = []
    var random: SplitMix64

    public init(username: String, settings: CoordinatorSettings, seed: UInt64) {
        model = AgentModel(username: username)
        self.settings = settings
        random = SplitMix64(seed: seed)
    }

    /// Whether the daemon is past `start` and not finished.
    public var isActive: Bool { phase != .idle && phase != .finished }

    /// Handles one event at `now` (monotonic) and `time` (RFC 3339 wall clock).
    public mutating func handle(_ event: CoordinatorEvent, now: Instant, time: String) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        switch event {
        case .start:
            guard phase == .idle else { break }
            model.setConnection(.connecting, at: time)
            logIn(into: &actions)
        case .snapshotFetched(let token, let outcome):
            snapshotFetched(token: token, outcome, time: time, into: &actions)
        case .bayeux(let generation, let input):
            guard generation == self.generation else { break }
            bayeux(input, time: time, into: &actions)
        case .operationFinished(let name, let error):
            if let error {
                actions.append(.log(CoordinatorLog(.warning, "\(name) failed: \(error)", ["gws.operation": name])))
            } else {
                actions.append(.log(CoordinatorLog(.info, "\(name) accepted", ["gws.operation": name])))
            }
        case .timerFired(let id):
            guard let timer = pendingTimer, timer.id == id else { break }
            pendingTimer = nil
            switch timer.purpose {
            case .login where phase == .waitingToLogIn: logIn(into: &actions)
            case .resync where resync == .waitingToRetry: fetchResync(into: &actions)
            default: break
            }
        case .reconfigure(let settings, let reconnect):
            self.settings = settings
            guard reconnect else { break }
            actions.append(.log(CoordinatorLog(.notice, "server settings changed; reconnecting")))
            switch phase {
            case .running:
                phase = .reconnecting
                actions.append(.stopBayeux(generation: generation))
            case .loggingIn, .waitingToLogIn:
                pendingTimer = nil
                logIn(into: &actions)
            default:
                break
            }
        case .stop:
            stop(time: time, into: &actions)
        }
        return actions
    }

    // MARK: Login

    private mutating func logIn(into actions: inout [CoordinatorAction]) {
        lastToken += 1
        phase = .loggingIn(token: lastToken)
        actions.append(.fetchSnapshot(token: lastToken))
    }

    private mutating func snapshotFetched(
        token: UInt64, _ outcome: SnapshotOutcome, time: String, into actions: inout [CoordinatorAction]
    ) {
        if phase == .loggingIn(token: token) {
            loginFinished(outcome, time: time, into: &actions)
        } else if resync == .fetching(token: token), phase == .running {
            resyncFinished(outcome, time: time, into: &actions)
        }
    }

    private mutating func loginFinished(_ outcome: SnapshotOutcome, time: String, into actions: inout [CoordinatorAction]) {
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
    private mutating func restFailed(
        _ outcome: SnapshotOutcome, _ detail: String, time: String, into actions: inout [CoordinatorAction]
    ) -> Bool {
        model.lastError = StateDocument.LastError(message: detail, at: time)
        restFailures += 1
        guard case .unauthorized = outcome else {
            actions.append(.log(CoordinatorLog(.warning, "GWS request failed: \(detail)")))
            return false
        }
        authFailures += 1
        actions.append(.log(CoordinatorLog(.warning, "GWS refused the credentials: \(detail)", ["gws.username": model.username])))
        if authFailures >= settings.maxAuthenticationFailures {
            fail(.authenticationFailed(detail), time: time, into: &actions)
            return true
        }
        return false
    }

    private mutating func scheduleRetry(_ purpose: TimerPurpose, reason: String, into actions: inout [CoordinatorAction]) {
        let delay = settings.backoff.delay(afterFailures: restFailures, random: random.unit())
        lastTimerID += 1
        pendingTimer = (lastTimerID, purpose)
        if purpose == .login { model.retry = AgentModel.Retry(after: delay, reason: reason) }
        actions.append(.startTimer(id: lastTimerID, after: delay))
    }

    // MARK: Bayeux

    private mutating func bayeux(_ input: BayeuxInput, time: String, into actions: inout [CoordinatorAction]) {
        switch input {
        case .stateChanged(let state):
            sessionStateChanged(state, time: time, into: &actions)
        case .handshook(let clientID):
            model.clientID = clientID
            model.handshakes += 1
            model.synced = false
            subscriptionProblems = []
            resyncBuffer = []
            if pendingTimer?.purpose == .resync { pendingTimer = nil }
            let awaited = Set(settings.channels)
            resync = awaited.isEmpty ? .idle : .awaitingSubscriptions(awaited)
            actions.append(.log(CoordinatorLog(.info, "Bayeux handshake", ["bayeux.client_id": clientID])))
            if awaited.isEmpty { subscriptionsSettled(into: &actions) }
        case .subscribed(let channel):
            subscriptionSettled(channel, into: &actions)
        case .subscriptionFailed(let channel, let error):
            subscriptionProblems.insert(channel)
            model.lastError = StateDocument.LastError(message: "subscription to \(channel) refused: \(error)", at: time)
            actions.append(.log(CoordinatorLog(.error, "subscription refused", ["bayeux.channel": channel, "bayeux.error": error])))
            subscriptionSettled(channel, into: &actions)
        case .messages(let messages):
            deliver(messages, time: time, into: &actions)
        case .requestFailed(let failure):
            model.lastError = StateDocument.LastError(message: failure.detail, at: time)
            if failure.httpStatus == 401 {
                authFailures += 1
                if authFailures >= settings.maxAuthenticationFailures {
                    fail(.authenticationFailed("HTTP 401 on the notifications endpoint"), time: time, into: &actions)
                }
            }
        case .retryScheduled(let delay):
            model.retry = AgentModel.Retry(after: delay, reason: model.lastError?.message ?? "retrying")
        case .ended(let reason):
            bayeuxEnded(reason, time: time, into: &actions)
        }
    }

    private mutating func sessionStateChanged(_ state: SessionState, time: String, into actions: inout [CoordinatorAction]) {
        let mapped: StateDocument.ConnectionState
        switch state {
        case .connected: mapped = .connected
        case .handshaking: mapped = .connecting
        case .unconnected: mapped = .unconnected
        case .rehandshaking: mapped = .rehandshaking
        case .disconnected: mapped = phase == .stopping ? .stopped : .disconnected
        }
        if state == .connected {
            authFailures = 0
            model.retry = nil
        }
        let before = model.connection
        model.setConnection(mapped, at: time)
        updateSynced()
        if before != model.connection {
            actions.append(
                .log(CoordinatorLog(
                    .info, Self.connectionMessage(mapped),
                    ["connection.state": mapped.rawValue, "bayeux.client_id": model.clientID ?? ""])))
        }
    }

    private mutating func subscriptionSettled(_ channel: String, into actions: inout [CoordinatorAction]) {
        guard case .awaitingSubscriptions(var awaited) = resync else { return }
        awaited.remove(channel)
        if awaited.isEmpty {
            subscriptionsSettled(into: &actions)
        } else {
            resync = .awaitingSubscriptions(awaited)
        }
    }

    /// Every subscription of this session is confirmed or refused: read the snapshot.
    private mutating func subscriptionsSettled(into actions: inout [CoordinatorAction]) {
        if settings.startContactCenterSession { actions.append(.postOperation("StartContactCenterSession")) }
        fetchResync(into: &actions)
    }

    private mutating func fetchResync(into actions: inout [CoordinatorAction]) {
        lastToken += 1
        resync = .fetching(token: lastToken)
        // The new snapshot reflects everything delivered before it was requested.
        resyncBuffer = []
        actions.append(.fetchSnapshot(token: lastToken))
    }

    private mutating func resyncFinished(_ outcome: SnapshotOutcome, time: String, into actions: inout [CoordinatorAction]) {
        switch outcome {
        case .success(let snapshot):
            restFailures = 0
            authFailures = 0
            let before = AgentSummary(model.cache)
            model.replace(with: snapshot)
            for notification in resyncBuffer { model.apply(notification) }
            resyncBuffer = []
            resync = .done
            updateSynced()
            logAgentChange(from: before, into: &actions)
            actions.append(.log(CoordinatorLog(.info, "resynchronised from the REST snapshot", agentMetadata)))
        case .unauthorized(let detail), .failed(let detail):
            if restFailed(outcome, detail, time: time, into: &actions) { return }
            resync = .waitingToRetry
            resyncBuffer = []
            scheduleRetry(.resync, reason: detail, into: &actions)
        }
    }

    private mutating func updateSynced() {
        model.synced = resync == .done && model.connection == .connected && subscriptionProblems.isEmpty
    }

    /// Applies the GWS notifications among `messages`, keeping them for a resync in flight.
    private mutating func deliver(_ messages: [BayeuxMessage], time: String, into actions: inout [CoordinatorAction]) {
        let before = AgentSummary(model.cache)
        var sawNotification = false
        let buffering: Bool
        if case .fetching = resync { buffering = true } else { buffering = false }
        for message in messages {
            let notification = GWSNotification.decode(channel: message.channel, data: message.data)
            switch notification {
            case .devices, .channels:
                sawNotification = true
                model.apply(notification)
                if buffering { resyncBuffer.append(notification) }
            case .error(let report):
                actions.append(.log(CoordinatorLog(.warning, "GWS reported an error: \(report)", ["bayeux.channel": message.channel])))
            case .ignored(let reason):
                actions.append(.log(CoordinatorLog(.debug, "notification ignored: \(reason)", ["bayeux.channel": message.channel])))
            }
        }
        if sawNotification { model.lastNotificationAt = time }
        if buffering, resyncBuffer.count > settings.maxBufferedNotifications {
            actions.append(.log(CoordinatorLog(.notice, "too many notifications during the resync; reading the snapshot again")))
            fetchResync(into: &actions)
        }
        logAgentChange(from: before, into: &actions)
    }

    /// One info event per change of the agent-level state.
    private func logAgentChange(from before: AgentSummary, into actions: inout [CoordinatorAction]) {
        let after = AgentSummary(model.cache)
        guard after != before else { return }
        actions.append(.log(CoordinatorLog(.info, "agent \(after.state), \(Self.dndText(after.dnd))", agentMetadata)))
    }

    /// Metadata describing the agent, for log events.
    var agentMetadata: [String: String] {
        let summary = AgentSummary(model.cache)
        var metadata = ["agent.state": summary.state, "agent.dnd": Self.dndText(summary.dnd)]
        if let workMode = summary.workMode { metadata["agent.work_mode"] = workMode }
        return metadata
    }

    /// The log message for a connection change.
    static func connectionMessage(_ state: StateDocument.ConnectionState) -> String {
        switch state {
        case .connecting: return "connecting to GWS"
        case .connected: return "connected to GWS"
        case .unconnected: return "connection to GWS lost; retrying"
        case .rehandshaking: return "GWS session lost; handshaking again"
        case .disconnected: return "disconnected from GWS"
        case .stopped: return "connection closed"
        }
    }

    static func dndText(_ dnd: Bool?) -> String { dnd.map { $0 ? "DND on" : "DND off" } ?? "DND unknown" }

    private mutating func bayeuxEnded(_ reason: TerminationReason?, time: String, into actions: inout [CoordinatorAction]) {
        guard phase != .finished else { return }
        model.clientID = nil
        resync = .idle
        switch phase {
        case .stopping:
            finish(time: time, into: &actions)
        case .reconnecting:
            model.synced = false
            model.setConnection(.connecting, at: time)
            logIn(into: &actions)
        default:
            switch reason {
            case .serverRefused(let error)?:
                fail(.serverRefused(error), time: time, into: &actions)
            case .noCommonTransport(let types)?:
                fail(.noCommonTransport(types), time: time, into: &actions)
            case .disconnected?, nil:
                // Not asked for: start over with a fresh login.
                model.synced = false
                model.setConnection(.connecting, at: time)
                restFailures += 1
                phase = .waitingToLogIn
                scheduleRetry(.login, reason: "the Bayeux session ended", into: &actions)
            }
        }
    }

    // MARK: Ending

    private mutating func stop(time: String, into actions: inout [CoordinatorAction]) {
        switch phase {
        case .running, .reconnecting:
            phase = .stopping
            actions.append(.stopBayeux(generation: generation))
        case .idle, .loggingIn, .waitingToLogIn:
            finish(time: time, into: &actions)
        case .stopping, .finished:
            break
        }
    }

    private mutating func finish(time: String, into actions: inout [CoordinatorAction]) {
        phase = .finished
        pendingTimer = nil
        model.synced = false
        model.retry = nil
        model.clientID = nil
        model.setConnection(.stopped, at: time)
        actions.append(.finished)
    }

    private mutating func fail(_ reason: FatalReason, time: String, into actions: inout [CoordinatorAction]) {
        phase = .finished
        pendingTimer = nil
        model.synced = false
        model.retry = nil
        model.clientID = nil
        model.lastError = StateDocument.LastError(message: reason.description, at: time)
        model.setConnection(.disconnected, at: time)
        actions.append(.log(CoordinatorLog(.error, "giving up: \(reason)")))
        actions.append(.exit(reason))
    }
}
