import BayeuxCore
import HTTPTransport

/// Everything a ``BayeuxClient`` needs besides its HTTP client and clock.
public struct BayeuxClientConfiguration: Sendable {
    /// The CometD endpoint, e.g. `https://gws.example.com/api/v2/notifications`.
    public var url: String
    /// Timeouts, backoff and handshake fields of the session.
    public var session: SessionConfiguration
    /// Channels to subscribe from the start (and after every re-handshake).
    public var subscriptions: [String]
    /// Use the CometD ack extension when the server offers it.
    public var useAckExtension: Bool
    /// Headers added to every request, read at send time so they can change (a
    /// refreshed CSRF token, for example). Their values are never logged.
    public var headers: @Sendable () -> [HTTPHeader]

    public init(
        url: String, session: SessionConfiguration = SessionConfiguration(), subscriptions: [String] = [],
        useAckExtension: Bool = true, headers: @escaping @Sendable () -> [HTTPHeader] = { [] }
    ) {
        self.url = url
        self.session = session
        self.subscriptions = subscriptions
        self.useAckExtension = useAckExtension
        self.headers = headers
    }
}

/// What the client reports to the application, in order.
public enum BayeuxEvent: Sendable, Equatable {
    /// The observable session state changed.
    case stateChanged(SessionState)
    /// A (re)handshake succeeded. After a re-handshake, re-read anything cached from the
    /// server: Bayeux does not replay what was published while the session was down.
    case handshook(clientId: String, rehandshake: Bool)
    /// Deliveries, in server order.
    case messages([BayeuxMessage])
    /// The server confirmed a subscription.
    case subscribed(String)
    /// The server refused a subscription.
    case subscriptionFailed(String, error: String)
    /// A request failed; the session handles it (retry, handshake), this is for status lines.
    case requestFailed(RequestFailure)
    /// The next attempt is scheduled after this delay (backoff or advised interval).
    case retryScheduled(after: Duration)
    /// The session ended for good; ``BayeuxClient/run()`` returns.
    case terminated(TerminationReason)
}

extension RequestFailure {
    /// The state machine's view of a transport error.
    init(_ error: TransportError) {
        switch error {
        case .timeout: self.init(.timeout, error.description)
        case .resolve, .connect: self.init(.connect, error.description)
        case .reset: self.init(.reset, error.description)
        case .tls: self.init(.tls, error.description)
        case .responseTooLarge: self.init(.tooLarge, error.description)
        case .cancelled, .shutDown, .other: self.init(.other, error.description)
        }
    }
}
