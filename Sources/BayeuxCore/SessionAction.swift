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
