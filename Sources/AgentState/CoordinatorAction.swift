/// Outputs of ``AgentCoordinator``, performed by the daemon in order.
public enum CoordinatorAction: Sendable, Equatable {
    /// Log in on node `node` of ``CoordinatorSettings/servers``: open a fresh HTTP session
    /// (a new cookie jar, no CSRF token yet, the current password) and GET the snapshot
    /// with Basic credentials, which sets the session cookie and hands out the CSRF token;
    /// answer with ``CoordinatorEvent/snapshotFetched(token:_:)``.
    case logIn(token: UInt64, node: Int)
    /// GET the snapshot in the current HTTP session (a resync); answer with
    /// ``CoordinatorEvent/snapshotFetched(token:_:)``.
    case fetchSnapshot(token: UInt64)
    /// Read the password again from its source (file, credential, environment); answer
    /// with ``CoordinatorEvent/passwordReread(token:_:)``.
    case rereadPassword(token: UInt64)
    /// Start a new Bayeux client; its events carry `generation`.
    case startBayeux(generation: Int)
    /// Disconnect the Bayeux client of `generation`; it answers with `ended`.
    case stopBayeux(generation: Int)
    /// Drop the Bayeux client of `generation` without a disconnect (its HTTP session or
    /// node is gone); nothing more is expected from it.
    case abandonBayeux(generation: Int)
    /// POST an operation to `/api/v2/me`.
    case postOperation(String)
    /// Fire ``CoordinatorEvent/timerFired(_:)`` after the delay.
    case startTimer(id: UInt64, after: Duration)
    case log(CoordinatorLog)
    /// Give up: write the final state, report, exit non-zero.
    case exit(FatalReason)
    /// The stop is complete: write the final state, exit 0.
    case finished
}

/// A log event the coordinator asks for; metadata keys are dotted (`agent.state`).
public struct CoordinatorLog: Sendable, Equatable {
    public enum Level: Sendable, Equatable { case debug, info, notice, warning, error }

    public var level: Level
    public var message: String
    public var metadata: [String: String]

    public init(_ level: Level, _ message: String, _ metadata: [String: String] = [:]) {
        self.level = level
        self.message = message
        self.metadata = metadata
    }
}
