import BayeuxCore
import GWS

/// What the coordinator needs to know beyond the model: subscriptions, the nodes of the
/// GWS cluster, and the retry policy.
public struct CoordinatorSettings: Sendable, Equatable {
    /// Channels the Bayeux client subscribes to; a resync waits for all of them.
    public var channels: [String]
    /// The base URL of each node of the GWS cluster (one entry for a single server or a
    /// load balancer). The daemon logs in on the first and moves on when one fails.
    public var servers: [String]
    /// Consecutive failures of a node (refused, timed out, reset, HTTP 5xx) after which
    /// the daemon logs in on the next one. Only used with more than one server.
    public var failoverAfter: Int
    /// An HTTP-session loss this long after the last recovery starts a new streak: losses
    /// closer together are paced by the backoff, so a server that accepts every login and
    /// refuses the next request is not hammered.
    public var stablePeriod: Duration
    /// POST `StartContactCenterSession` once the subscriptions are confirmed.
    public var startContactCenterSession: Bool
    /// Delays between REST retries (login and resync).
    public var backoff: BackoffPolicy
    /// Consecutive authentication refusals (HTTP 401) after which the daemon gives up.
    public var maxAuthenticationFailures: Int
    /// Notifications kept while a resync is in flight; past this the resync restarts.
    public var maxBufferedNotifications: Int

    public init(
        channels: [String], servers: [String] = [], failoverAfter: Int = 3, stablePeriod: Duration = .seconds(10),
        startContactCenterSession: Bool = false, backoff: BackoffPolicy = BackoffPolicy(),
        maxAuthenticationFailures: Int = 3, maxBufferedNotifications: Int = 10_000
    ) {
        self.channels = channels
        self.servers = servers
        self.failoverAfter = max(1, failoverAfter)
        self.stablePeriod = stablePeriod
        self.startContactCenterSession = startContactCenterSession
        self.backoff = backoff
        self.maxAuthenticationFailures = maxAuthenticationFailures
        self.maxBufferedNotifications = maxBufferedNotifications
    }
}

/// Inputs to ``SessionCoordinator``.
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

/// Outputs of ``SessionCoordinator``, performed by the daemon in order.
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

/// Why the daemon gives up.
public enum FatalReason: Sendable, Equatable, CustomStringConvertible {
    /// The credentials were refused this many times in a row.
    case authenticationFailed(String)
    /// The server said `reconnect: none`.
    case serverRefused(String?)
    /// The server offers no connection type we speak.
    case noCommonTransport([String])

    public var description: String {
        switch self {
        case .authenticationFailed(let detail): return "authentication keeps failing: \(detail)"
        case .serverRefused(let error): return "the server refused the session" + (error.map { ": \($0)" } ?? "")
        case .noCommonTransport(let types):
            return "the server offers no long-polling transport (only \(types.joined(separator: ", ")))"
        }
    }
}
