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
