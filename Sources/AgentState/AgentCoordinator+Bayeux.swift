import BayeuxCore
import GWS

/// The Bayeux side: session states, subscriptions, the resync after each handshake,
/// deliveries (buffered while a resync is in flight) and the end of a client.
extension AgentCoordinator {
    mutating func bayeux(_ input: BayeuxInput, time: String, into actions: inout [CoordinatorAction]) {
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
            actions.append(.log(CoordinatorLog(.debug, "Bayeux handshake", ["bayeux.client_id": clientID])))
            if awaited.isEmpty { subscriptionsSettled(into: &actions) }
        case .subscribed(let channel):
            subscriptionSettled(channel, into: &actions)
        case .subscriptionFailed(let channel, let error):
            subscriptionProblems.insert(channel)
            model.lastError = StateDocument.LastError(message: "subscription to \(channel) refused: \(error)", at: time)
            actions.append(
                .log(
                    CoordinatorLog(.error, "subscription refused", ["bayeux.channel": channel, "bayeux.error": error])))
            subscriptionSettled(channel, into: &actions)
        case .messages(let messages):
            deliver(messages, time: time, into: &actions)
        case .requestFailed(let failure):
            model.lastError = StateDocument.LastError(message: failure.detail, at: time)
            if let status = failure.httpStatus, status == 401 || status == 403 {
                // GWS no longer knows the HTTP session (or the credentials): log in afresh.
                httpSessionLost("\(failure.detail) on the notifications endpoint", time: time, into: &actions)
            } else if failure.isNodeFailure {
                _ = nodeFailed(failure.detail, time: time, into: &actions)
            }
        case .retryScheduled(let delay):
            model.retry = AgentModel.Retry(after: delay, reason: model.lastError?.message ?? "retrying")
        case .ended(let reason):
            bayeuxEnded(reason, time: time, into: &actions)
        }
    }

    mutating func sessionStateChanged(_ state: SessionState, time: String, into actions: inout [CoordinatorAction]) {
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
            nodeFailures = 0
            loggedProblem = nil
            model.retry = nil
        }
        let before = model.connection
        model.setConnection(mapped, at: time)
        updateSynced()
        if before != model.connection {
            var metadata = [
                "connection.state": mapped.rawValue, "bayeux.client_id": model.clientID ?? "",
                MessageID.key: mapped == .connected ? MessageID.connected : MessageID.connectionLost,
            ]
            // The node in use, on the entry of each connection (the login's entry is debug).
            if mapped == .connected, let server = model.server { metadata["gws.server"] = server }
            // The end of a requested stop is the daemon's own "stopped" entry; one per
            // agent would be 10,000 lines at a fleet's stop.
            actions.append(
                .log(
                    CoordinatorLog(
                        mapped == .stopped ? .debug : .info, Self.connectionMessage(mapped), metadata)))
        }
    }

    mutating func subscriptionSettled(_ channel: String, into actions: inout [CoordinatorAction]) {
        guard case .awaitingSubscriptions(var awaited) = resync else { return }
        awaited.remove(channel)
        if awaited.isEmpty {
            subscriptionsSettled(into: &actions)
        } else {
            resync = .awaitingSubscriptions(awaited)
        }
    }

    /// Every subscription of this session is confirmed or refused: read the snapshot.
    mutating func subscriptionsSettled(into actions: inout [CoordinatorAction]) {
        if settings.startContactCenterSession { actions.append(.postOperation("StartContactCenterSession")) }
        fetchResync(into: &actions)
    }

    mutating func fetchResync(into actions: inout [CoordinatorAction]) {
        lastToken += 1
        resync = .fetching(token: lastToken)
        // The new snapshot reflects everything delivered before it was requested.
        resyncBuffer = []
        actions.append(.fetchSnapshot(token: lastToken))
    }

    mutating func resyncFinished(_ outcome: SnapshotOutcome, time: String, into actions: inout [CoordinatorAction]) {
        switch outcome {
        case .success(let snapshot):
            restFailures = 0
            authFailures = 0
            nodeFailures = 0
            let before = AgentSummary(model.cache)
            let beforeSince = model.since.agentSince(before)
            let callsBefore = model.cache.calls
            model.replace(with: snapshot, replaying: resyncBuffer)
            resyncBuffer = []
            if settings.tracksCalls, let problem = snapshot.callsProblem {
                logProblem(
                    "the agent's calls could not be read; calls unknown until the next resync: \(problem)",
                    into: &actions)
            }
            logCallsResynced(from: callsBefore, time: time, into: &actions)
            resync = .done
            updateSynced()
            logAgentChange(from: before, since: beforeSince, time: time, into: &actions)
            actions.append(
                .log(
                    CoordinatorLog(
                        .info, "resynchronised from the REST snapshot",
                        agentMetadata.merging([MessageID.key: MessageID.resynced]) { _, new in new })))
        case .unauthorized(let detail), .forbidden(let detail):
            httpSessionLost("\(detail) on the REST snapshot", time: time, into: &actions)
        case .nodeFailed(let detail):
            if nodeFailed(detail, time: time, into: &actions) { return }
            resyncRetry(detail, time: time, into: &actions)
        case .failed(let detail):
            resyncRetry(detail, time: time, into: &actions)
        }
    }

    /// A resync failed for a reason other than the session: read the snapshot again after the backoff.
    mutating func resyncRetry(_ detail: String, time: String, into actions: inout [CoordinatorAction]) {
        model.lastError = StateDocument.LastError(message: detail, at: time)
        restFailures += 1
        logProblem("GWS request failed: \(detail)", into: &actions)
        resync = .waitingToRetry
        resyncBuffer = []
        scheduleRetry(.resync, reason: detail, into: &actions)
    }

    mutating func updateSynced() {
        let wasSynced = model.synced
        model.synced = resync == .done && model.connection == .connected && subscriptionProblems.isEmpty
        if model.synced && !wasSynced {
            // The first sync after a login starts the stable period; a later re-sync in the
            // same HTTP session (a new Bayeux session, say) does not restart it.
            if recoveredAt == nil { recoveredAt = now }
            loggedProblem = nil
        }
    }

    /// Applies the GWS notifications among `messages`, keeping them for a resync in flight.
    mutating func deliver(_ messages: [BayeuxMessage], time: String, into actions: inout [CoordinatorAction]) {
        let before = AgentSummary(model.cache)
        let beforeSince = model.since.agentSince(before)
        let ignoredBefore = model.cache.ignoredEntries
        var sawNotification = false
        var reporters = Reporters()
        // Taken at the reply's first device or channel notification: each part it changed
        // is logged once, after the agent's entry.
        var partsBefore: PartsBefore?
        let buffering: Bool
        if case .fetching = resync { buffering = true } else { buffering = false }
        for message in messages {
            let notification = GWSNotification.decode(channel: message.channel, data: message.data)
            switch notification {
            case .devices(let devices):
                sawNotification = true
                reporters.add(devices: devices)
                if partsBefore == nil { partsBefore = PartsBefore(model) }
                model.apply(notification, at: time)
                if buffering { resyncBuffer.append(notification) }
            case .channels(let channels):
                sawNotification = true
                reporters.add(channels: channels)
                if partsBefore == nil { partsBefore = PartsBefore(model) }
                model.apply(notification, at: time)
                if buffering { resyncBuffer.append(notification) }
            case .call(let message):
                sawNotification = true
                let before = model.cache.call(id: message.call.id)
                model.apply(notification, at: time)
                if buffering { resyncBuffer.append(notification) }
                logCallChange(message, from: before, time: time, into: &actions)
            case .error(let report):
                actions.append(
                    .log(
                        CoordinatorLog(
                            .warning, "GWS reported an error: \(report)", ["bayeux.channel": message.channel])))
            case .ignored(let reason):
                actions.append(
                    .log(CoordinatorLog(.debug, "notification ignored: \(reason)", ["bayeux.channel": message.channel]))
                )
            }
        }
        if sawNotification { model.lastNotificationAt = time }
        if ignoredBefore == 0, model.cache.ignoredEntries > 0 {
            actions.append(
                .log(
                    CoordinatorLog(
                        .warning,
                        "GWS reported more than \(AgentCache.maximumEntries) devices, channels or calls; ignoring the others"
                    ))
            )
        }
        if buffering, resyncBuffer.count > settings.maxBufferedNotifications {
            actions.append(
                .log(CoordinatorLog(.notice, "too many notifications during the resync; reading the snapshot again")))
            fetchResync(into: &actions)
        }
        logAgentChange(from: before, since: beforeSince, time: time, reportedBy: reporters, into: &actions)
        if let partsBefore { logPartChanges(from: partsBefore, time: time, into: &actions) }
    }

    /// The devices and channels whose notifications a change came from, each named once
    /// however many messages of the reply named it.
    struct Reporters {
        var devices: [String] = []
        var channels: [String] = []

        /// Adds the ids of `reported` not named yet (at most ``AgentCache/maximumEntries``).
        mutating func add(devices reported: [DeviceResource]) {
            for device in reported {
                guard let id = device.id, devices.count < AgentCache.maximumEntries, !devices.contains(id) else {
                    continue
                }
                devices.append(id)
            }
        }

        /// Adds the names of `reported` not named yet (at most ``AgentCache/maximumEntries``).
        mutating func add(channels reported: [ChannelResource]) {
            for channel in reported {
                guard let name = channel.name, channels.count < AgentCache.maximumEntries, !channels.contains(name)
                else { continue }
                channels.append(name)
            }
        }

        /// `gws.device_id` and `gws.channel` (GWS_DEVICE_ID, GWS_CHANNEL in the journal).
        var metadata: [String: String] {
            var metadata: [String: String] = [:]
            if !devices.isEmpty { metadata["gws.device_id"] = devices.joined(separator: ",") }
            if !channels.isEmpty { metadata["gws.channel"] = channels.joined(separator: ",") }
            return metadata
        }
    }

    /// One info event per change of the agent-level state: the new state, and what it
    /// replaced (state, reason, DND) with the seconds spent in it when its start is known
    /// (`beforeSince`, a timestamp; unknown after a restart until a notification says).
    func logAgentChange(
        from before: AgentSummary, since beforeSince: String?, time: String,
        reportedBy reporters: Reporters = Reporters(), into actions: inout [CoordinatorAction]
    ) {
        let after = AgentSummary(model.cache)
        guard after != before else { return }
        var metadata = agentMetadata.merging(reporters.metadata) { own, _ in own }
        metadata[MessageID.key] = MessageID.agentChanged
        metadata["agent.previous_state"] = before.state
        metadata["agent.previous_dnd"] = Self.dndText(before.dnd)
        if let reason = before.reason { metadata["agent.previous_reason"] = reason }
        if let workMode = before.workMode { metadata["agent.previous_work_mode"] = workMode }
        if let beforeSince, let start = Timestamp.parse(beforeSince), let now = Timestamp.parse(time), now >= start {
            metadata["agent.previous_seconds"] = Self.seconds(now - start)
        }
        actions.append(.log(CoordinatorLog(.info, "agent \(after.state), \(Self.dndText(after.dnd))", metadata)))
    }

    /// Seconds with millisecond precision, as the journal field carries them (`12.345`).
    static func seconds(_ value: Double) -> String {
        let milliseconds = Int64((value * 1000).rounded())
        let fraction = milliseconds % 1000
        return "\(milliseconds / 1000)." + String(repeating: "0", count: fraction < 10 ? 2 : fraction < 100 ? 1 : 0)
            + "\(fraction)"
    }

    /// Metadata describing the agent, for log events.
    var agentMetadata: [String: String] {
        let summary = AgentSummary(model.cache)
        var metadata = ["agent.state": summary.state, "agent.dnd": Self.dndText(summary.dnd)]
        if let workMode = summary.workMode { metadata["agent.work_mode"] = workMode }
        if let reason = summary.reason { metadata["agent.reason"] = reason }
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

    mutating func bayeuxEnded(_ reason: TerminationReason?, time: String, into actions: inout [CoordinatorAction]) {
        guard phase != .finished else { return }
        clientActive = false
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
}

extension RequestFailure {
    /// Whether the failure says the node itself is not serving: nothing accepted the
    /// connection, it broke, it timed out, or the node answered 5xx.
    var isNodeFailure: Bool {
        switch kind {
        case .connect, .timeout, .reset: return true
        case .http: return (httpStatus ?? 0) >= 500
        case .tooLarge, .malformed, .tls, .other: return false
        }
    }
}
