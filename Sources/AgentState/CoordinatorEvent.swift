import BayeuxCore
import GWS

/// Inputs to ``AgentCoordinator``.
public enum CoordinatorEvent: Sendable, Equatable {
    /// Begin: log in to GWS.
    case start
    /// A `GET /api/v2/me?subresources=*` finished.
    case snapshotFetched(token: UInt64, SnapshotOutcome)
    /// Something happened in the Bayeux client of `generation`.
    case bayeux(generation: Int, BayeuxInput)
    /// A POST of an operation (`StartContactCenterSession`) finished; `error` is nil on success.
    case operationFinished(name: String, error: String?)
    /// The password was read again from its source after ``CoordinatorAction/rereadPassword(token:)``.
    case passwordReread(token: UInt64, PasswordCheck)
    /// A timer from ``CoordinatorAction/startTimer(id:after:)`` fired.
    case timerFired(UInt64)
    /// The configuration was reloaded; `reconnect` when the server settings changed.
    case reconfigure(CoordinatorSettings, reconnect: Bool)
    /// SIGTERM: disconnect and finish.
    case stop
}

/// The result of a snapshot request.
public enum SnapshotOutcome: Sendable, Equatable {
    case success(UserSnapshot)
    /// HTTP 401 or `statusCode` 20: the credentials were refused.
    case unauthorized(String)
    /// HTTP 403: the HTTP session (its cookie or CSRF token) was refused.
    case forbidden(String)
    /// The node did not serve the request: unreachable, timed out, reset, or HTTP 5xx.
    case nodeFailed(String)
    /// Anything else: another HTTP error, an unreadable reply.
    case failed(String)
}

/// What reading the password again found.
public enum PasswordCheck: Sendable, Equatable {
    /// A different password than the one refused: log in with it at once.
    case changed
    /// The same password: the refusal counts.
    case unchanged
    /// The source could not be read (the refusal counts), with why.
    case unreadable(String)
}

/// The Bayeux client's events, as far as the coordinator cares.
public enum BayeuxInput: Sendable, Equatable {
    case stateChanged(SessionState)
    case handshook(clientID: String)
    case subscribed(String)
    case subscriptionFailed(String, error: String)
    case messages([BayeuxMessage])
    case requestFailed(RequestFailure)
    case retryScheduled(after: Duration)
    /// The client's `run()` returned.
    case ended(TerminationReason?)
}
