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
