/// The externally visible state of a Bayeux session.
public enum SessionState: String, Sendable, Equatable, CaseIterable {
    /// Not started, stopped, or given up.
    case disconnected
    /// First handshake (or its retries) in progress; no session yet.
    case handshaking
    /// A `/meta/connect` succeeded; deliveries flow.
    case connected
    /// The session exists but the last connect failed; retrying with the same client id.
    case unconnected
    /// The server dropped the session (or it expired); handshaking again.
    case rehandshaking
}

/// Identifies one HTTP request the state machine asked the driver to send.
public typealias RequestID = UInt64
/// Identifies one timer the state machine asked the driver to start.
public typealias TimerID = UInt64

/// One HTTP request to send: a batch of messages posted together.
public struct OutgoingRequest: Sendable, Equatable {
    /// Echoed back in ``SessionEvent/responseReceived(_:_:)`` and ``SessionEvent/requestFailed(_:_:)``.
    public var id: RequestID
    /// The messages, in the order they go into the JSON array.
    public var messages: [BayeuxMessage]
    /// Whether this is the long poll (the server holds it up to `advice.timeout`).
    public var isLongPoll: Bool
    /// The deadline for the whole request, after which the driver aborts it.
    public var timeout: Duration
}

/// Why a request failed before a Bayeux reply could be read from it.
public enum RequestFailureKind: String, Sendable, Equatable, CaseIterable {
    case timeout, connect, reset, http
    case tooLarge = "too_large"
    case malformed, tls, other
}

/// A request failure as the state machine sees it: a kind for counters and a detail for logs.
public struct RequestFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: RequestFailureKind
    public var detail: String
    /// The HTTP status, when the failure is a non-200 answer (kind ``RequestFailureKind/http``).
    public var httpStatus: Int?

    public init(_ kind: RequestFailureKind, _ detail: String, httpStatus: Int? = nil) {
        self.kind = kind
        self.detail = detail
        self.httpStatus = httpStatus
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}

/// Why a session ended for good.
public enum TerminationReason: Sendable, Equatable, CustomStringConvertible {
    /// The application asked to disconnect.
    case disconnected
    /// The server said `reconnect: none` (or a negative interval), with its error if any.
    case serverRefused(String?)
    /// The server offers no connection type this client supports.
    case noCommonTransport(serverTypes: [String])

    public var description: String {
        switch self {
        case .disconnected: return "disconnected"
        case .serverRefused(let e): return "server refused the session" + (e.map { ": \($0)" } ?? "")
        case .noCommonTransport(let types):
            return "no common transport: server offers \(types.joined(separator: ", ")), client supports long-polling"
        }
    }
}

/// Inputs to the state machine.
public enum SessionEvent: Sendable, Equatable {
    /// Start (or restart after termination) the session.
    case start
    /// A timer started by ``SessionAction/startTimer(_:after:)`` expired.
    case timerFired(TimerID)
    /// A request returned a parsed Bayeux response.
    case responseReceived(RequestID, [BayeuxMessage])
    /// A request failed (transport error, HTTP error, unreadable body, timeout).
    case requestFailed(RequestID, RequestFailure)
    /// The application wants deliveries from this channel or pattern.
    case subscribe(String)
    /// The application no longer wants deliveries from this channel or pattern.
    case unsubscribe(String)
    /// The application wants to end the session (bounded by the disconnect timeout).
    case disconnect
}

/// Outputs of the state machine, performed by the driver in order.
public enum SessionAction: Sendable, Equatable {
    /// Send a request.
    case send(OutgoingRequest)
    /// Abort in-flight requests; their results will be ignored.
    case cancel([RequestID])
    /// Fire ``SessionEvent/timerFired(_:)`` after the duration. Starting a timer
    /// supersedes any earlier one: the machine ignores stale timer ids.
    case startTimer(TimerID, after: Duration)
    /// Hand messages to the application, in order.
    case deliver([BayeuxMessage])
    /// The observable state changed.
    case stateChanged(SessionState)
    /// A handshake succeeded; `rehandshake` is true for every one after the first.
    /// Anything the application caches from the server should be re-read now.
    case handshook(clientId: String, rehandshake: Bool)
    /// The server confirmed a subscription.
    case subscribed(String)
    /// The server refused a subscription (or the channel name is invalid).
    case subscriptionFailed(String, error: String)
    /// The session ended; the driver should stop.
    case terminated(TerminationReason)
}

/// Tuning knobs of a session.
public struct SessionConfiguration: Sendable, Equatable {
    /// Allowance for network latency on top of the server's hold time; the deadline of
    /// every non-poll request.
    public var maxNetworkDelay: Duration
    /// Retry delays after failures.
    public var backoff: BackoffPolicy
    /// A hold time to ask the server for on every long poll, for networks whose proxies
    /// cut idle connections sooner than the server's own timeout.
    public var requestedTimeout: Duration?
    /// How long a graceful disconnect may take before the session is dropped anyway.
    public var disconnectTimeout: Duration
    /// Extra members merged into every handshake message (authentication, for example).
    public var handshakeFields: JSONObject

    public init(
        maxNetworkDelay: Duration = .seconds(10), backoff: BackoffPolicy = BackoffPolicy(),
        requestedTimeout: Duration? = nil, disconnectTimeout: Duration = .seconds(2),
        handshakeFields: JSONObject = [:]
    ) {
        self.maxNetworkDelay = maxNetworkDelay
        self.backoff = backoff
        self.requestedTimeout = requestedTimeout
        self.disconnectTimeout = disconnectTimeout
        self.handshakeFields = handshakeFields
    }
}

/// Running totals a session keeps for logs and metrics.
public struct SessionCounters: Sendable, Equatable {
    /// Handshake requests sent.
    public var handshakes = 0
    /// Handshakes the server accepted.
    public var successfulHandshakes = 0
    /// `/meta/connect` requests sent.
    public var connects = 0
    /// Connects the server answered successfully.
    public var successfulConnects = 0
    /// Requests that failed, by kind.
    public var requestFailures: [RequestFailureKind: Int] = [:]
    /// Replies with `successful: false`, by meta channel.
    public var unsuccessfulReplies: [String: Int] = [:]
    /// Error codes of unsuccessful replies (`402`, `401`, …), for logs and metrics only:
    /// the same code means different things on different servers.
    public var errorCodes: [Int: Int] = [:]
    /// Deliveries handed to the application.
    public var messagesDelivered = 0
    /// Deliveries dropped because no subscription matches their channel.
    public var messagesUnmatched = 0
    /// Replies ignored because they answer a superseded request.
    public var staleReplies = 0
    /// Extra members nobody asked for: unparseable replies, unknown meta channels.
    public var ignoredMessages = 0

    public init() {}
}
