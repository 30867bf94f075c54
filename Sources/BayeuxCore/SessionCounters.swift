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
