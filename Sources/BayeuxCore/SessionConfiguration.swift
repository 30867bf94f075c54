import JSON

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
