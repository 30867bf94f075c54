/// The Bayeux client session as a pure state machine: events in, actions out.
///
/// It performs no I/O and reads no clock: every event comes with the current instant of
/// a monotonic clock, and time passes only through ``SessionAction/startTimer(_:after:)``
/// and the matching ``SessionEvent/timerFired(_:)``. The driver (`BayeuxClient`) owns one
/// instance, performs the actions and feeds back the results.
///
/// Decisions follow the CometD reference clients: transitions depend on `successful` and
/// `advice.reconnect`, never on error codes; there is at most one `/meta/connect` in
/// flight; subscriptions are desired state re-sent after every handshake.
public struct SessionStateMachine<Instant: InstantProtocol<Duration>>: Sendable where Instant: Sendable {
    /// What the machine is doing, finer-grained than ``SessionState``.
    enum Phase: Equatable {
        case idle
        case handshaking
        case connecting
        case disconnecting
        case terminated
    }

    /// What a pending timer is for.
    enum TimerPurpose: Equatable { case handshake, connect, disconnectDeadline }

    /// What a subscription is in the current server session.
    enum SubscriptionStatus: Equatable {
        case pending(messageID: String)
        case confirmed
        case failed
    }

    public let configuration: SessionConfiguration
    /// The observable state.
    public private(set) var state: SessionState = .disconnected
    /// The server's advice, reset at each handshake.
    public internal(set) var advice: Advice = .initial
    /// The current session id.
    public internal(set) var clientId: String?
    /// Totals for logs and metrics.
    public internal(set) var counters = SessionCounters()
    /// The channels and patterns the application wants, in subscription order.
    public internal(set) var desiredSubscriptions: [ChannelPattern] = []

    var phase: Phase = .idle
    var extensions: [any BayeuxExtension]
    var random: SplitMix64
    var failures = 0
    /// Connects of this session whose reply was too large to read, since its last
    /// successful connect.
    var tooLargeConnects = 0
    var unconnectedSince: Instant?
    var hasHandshaken = false
    var nextConnectIsImmediate = true
    var handshakeInFlight: (request: RequestID, messageID: String)?
    var connectInFlight: (request: RequestID, messageID: String)?
    var disconnectInFlight: (request: RequestID, messageID: String)?
    var inFlight: Set<RequestID> = []
    var controlMessages: [RequestID: [String]] = [:]
    var subscriptionStatus: [String: SubscriptionStatus] = [:]
    var pendingSubscriptionReplies: [String: String] = [:]
    var pendingTimer: (id: TimerID, purpose: TimerPurpose)?
    var lastMessageID: UInt64 = 0
    var lastRequestID: RequestID = 0
    var lastTimerID: TimerID = 0

    /// Creates an idle session.
    /// - Parameters:
    ///   - configuration: timeouts, backoff and handshake fields.
    ///   - extensions: message hooks, run in order (see ``BayeuxExtension``).
    ///   - seed: seeds the jitter of the backoff; tests pass a constant.
    public init(configuration: SessionConfiguration, extensions: [any BayeuxExtension] = [], seed: UInt64) {
        self.configuration = configuration
        self.extensions = extensions
        self.random = SplitMix64(seed: seed)
    }

    /// Handles one event at `now` and returns the actions to perform, in order.
    public mutating func handle(_ event: SessionEvent, now: Instant) -> [SessionAction] {
        var actions: [SessionAction] = []
        switch event {
        case .start:
            start(now: now, into: &actions)
        case .timerFired(let id):
            timerFired(id, now: now, into: &actions)
        case .responseReceived(let request, let messages):
            received(messages, for: request, now: now, into: &actions)
        case .requestFailed(let request, let failure):
            requestFailed(request, failure, now: now, into: &actions)
        case .subscribe(let channel):
            subscribe(channel, into: &actions)
        case .unsubscribe(let channel):
            unsubscribe(channel, into: &actions)
        case .disconnect:
            disconnect(into: &actions)
        }
        return actions
    }

    // MARK: Plumbing shared by the protocol files

    mutating func makeMessageID() -> String {
        lastMessageID += 1
        return String(lastMessageID)
    }

    /// Runs the outgoing extensions over `messages` and emits one request for those kept.
    /// Returns `nil` when every message was dropped.
    @discardableResult
    mutating func send(
        _ messages: [BayeuxMessage], longPoll: Bool, timeout: Duration, into actions: inout [SessionAction]
    ) -> RequestID? {
        var kept: [BayeuxMessage] = []
        kept.reserveCapacity(messages.count)
        for var message in messages where runOutgoing(&message) { kept.append(message) }
        guard !kept.isEmpty else { return nil }
        lastRequestID += 1
        inFlight.insert(lastRequestID)
        actions.append(
            .send(OutgoingRequest(id: lastRequestID, messages: kept, isLongPoll: longPoll, timeout: timeout)))
        return lastRequestID
    }

    mutating func runOutgoing(_ message: inout BayeuxMessage) -> Bool {
        for index in extensions.indices where !extensions[index].outgoing(&message) { return false }
        return true
    }

    mutating func runIncoming(_ message: inout BayeuxMessage) -> Bool {
        for index in extensions.indices where !extensions[index].incoming(&message) { return false }
        return true
    }

    mutating func startTimer(_ purpose: TimerPurpose, after delay: Duration, into actions: inout [SessionAction]) {
        lastTimerID += 1
        pendingTimer = (lastTimerID, purpose)
        actions.append(.startTimer(lastTimerID, after: max(delay, .zero)))
    }

    mutating func setState(_ new: SessionState, into actions: inout [SessionAction]) {
        guard new != state else { return }
        state = new
        actions.append(.stateChanged(new))
    }

    /// The next backoff delay; each call counts one more consecutive failure.
    mutating func nextBackoff() -> Duration {
        let delay = configuration.backoff.delay(afterFailures: failures, random: random.unit())
        failures += 1
        return delay
    }

    mutating func cancelInFlight(except keep: RequestID? = nil, into actions: inout [SessionAction]) {
        let doomed = inFlight.filter { $0 != keep }.sorted()
        guard !doomed.isEmpty else { return }
        inFlight.subtract(doomed)
        for request in doomed { controlMessages[request] = nil }
        actions.append(.cancel(doomed))
    }

    mutating func terminate(_ reason: TerminationReason, into actions: inout [SessionAction]) {
        cancelInFlight(into: &actions)
        phase = .terminated
        clientId = nil
        handshakeInFlight = nil
        connectInFlight = nil
        disconnectInFlight = nil
        pendingTimer = nil
        subscriptionStatus = [:]
        pendingSubscriptionReplies = [:]
        setState(.disconnected, into: &actions)
        actions.append(.terminated(reason))
    }

    /// Counts an unsuccessful reply by channel and by error code.
    mutating func countUnsuccessful(_ reply: BayeuxMessage) {
        counters.unsuccessfulReplies[reply.channel, default: 0] += 1
        if let code = reply.error.flatMap({ BayeuxErrorString($0).code }) { counters.errorCodes[code, default: 0] += 1 }
    }

    mutating func timerFired(_ id: TimerID, now: Instant, into actions: inout [SessionAction]) {
        guard let timer = pendingTimer, timer.id == id else { return }
        pendingTimer = nil
        switch timer.purpose {
        case .handshake: sendHandshake(into: &actions)
        case .connect: sendConnect(into: &actions)
        case .disconnectDeadline: terminate(.disconnected, into: &actions)
        }
    }
}
