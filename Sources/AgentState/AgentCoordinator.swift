import BayeuxCore
import GWS

/// The daemon's session with GWS as a pure state machine: events in, actions out.
///
/// It logs in over REST in a fresh HTTP session, starts a Bayeux client, and after every
/// (re)handshake waits for the subscriptions, then re-reads the REST snapshot so that
/// nothing changed while disconnected is missed. Notifications that arrive while a
/// snapshot is in flight are kept and applied again on top of it.
///
/// It recovers from everything GWS can do to a session: a 401 or 403 (GWS forgot the
/// HTTP session) means a new login in a fresh HTTP session, paced by the backoff; a 401
/// at login re-reads the password before it counts; a failing node of a cluster is left
/// for the next one. REST failures are retried with backoff; repeated authentication
/// refusals and `reconnect: none` end the daemon. It performs no I/O and reads no clock:
/// the driver passes the current instant and wall-clock time.
public struct AgentCoordinator<Instant: InstantProtocol<Duration>>: Sendable where Instant: Sendable {
    /// What the coordinator is doing.
    enum Phase: Equatable {
        case idle
        case loggingIn(token: UInt64)
        /// A login was refused with 401: reading the password again before it counts.
        case checkingPassword(token: UInt64)
        case waitingToLogIn
        case running
        /// Stopping the Bayeux client to log in again with new settings.
        case reconnecting
        case stopping
        case finished
    }

    /// Where the resynchronisation after the latest handshake stands.
    enum Resync: Equatable {
        case idle
        case awaitingSubscriptions(Set<String>)
        case fetching(token: UInt64)
        case waitingToRetry
        case done
    }

    /// What a pending timer is for.
    enum TimerPurpose: Equatable { case login, resync }

    public internal(set) var model: AgentModel
    public internal(set) var settings: CoordinatorSettings
    var phase: Phase = .idle
    /// Whether a requested stop is under way (the Bayeux session is being ended): what the
    /// state file says meanwhile is replaced by the final `stopped` document.
    public var isStopping: Bool { phase == .stopping }
    var resync: Resync = .idle
    /// Notifications received since the current resync's snapshot was requested.
    var resyncBuffer: [GWSNotification] = []
    /// The generation of the newest Bayeux client.
    var generation = 0
    /// Whether that client's events are still wanted (false once it ended or was abandoned).
    var clientActive = false
    var lastToken: UInt64 = 0
    var lastTimerID: UInt64 = 0
    var pendingTimer: (id: UInt64, purpose: TimerPurpose)?
    var restFailures = 0
    var authFailures = 0
    /// What the last refused login said, for the failure that counts once the password is checked.
    var refusedLogin: String?
    /// The node of ``CoordinatorSettings/servers`` in use.
    var node = 0
    /// Consecutive failures of that node.
    var nodeFailures = 0
    /// HTTP-session losses since the last stable period, pacing the logins they cause.
    var sessionLosses = 0
    /// When the picture was first synced after the last HTTP-session loss (or the start),
    /// for ``CoordinatorSettings/stablePeriod``.
    var recoveredAt: Instant?
    /// The problem last logged as a warning, so that a retry loop logs it once.
    var loggedProblem: String?
    var subscriptionProblems: Set<String> = []
    var random: SplitMix64
    /// The instant of the event being handled.
    var now: Instant?

    public init(username: String, settings: CoordinatorSettings, seed: UInt64) {
        model = AgentModel(username: username)
        self.settings = settings
        random = SplitMix64(seed: seed)
        applyCallSettings()
    }

    /// Tells the model whether calls are followed and their details kept.
    mutating func applyCallSettings() {
        model.tracksCalls = settings.tracksCalls
        model.keepsCallDetails = settings.publishCallDetails
    }

    /// Takes the state starts a previous run recorded in `document` (the state file it
    /// finds at start), when that file was written for the same agent; the first snapshot
    /// keeps those it confirms. Returns whether they were taken.
    @discardableResult
    public mutating func remember(_ document: StateDocument) -> Bool {
        guard phase == .idle, document.agent.username == model.username else { return false }
        model.remember(StateSince(remembering: document.agent))
        return true
    }

    /// Whether the daemon is past `start` and not finished.
    public var isActive: Bool { phase != .idle && phase != .finished }

    /// Handles one event at `now` (monotonic) and `time` (RFC 3339 wall clock).
    public mutating func handle(_ event: CoordinatorEvent, now: Instant, time: String) -> [CoordinatorAction] {
        self.now = now
        var actions: [CoordinatorAction] = []
        switch event {
        case .start:
            guard phase == .idle else { break }
            model.setConnection(.connecting, at: time)
            logIn(into: &actions)
        case .snapshotFetched(let token, let outcome):
            snapshotFetched(token: token, outcome, time: time, into: &actions)
        case .passwordReread(let token, let check):
            guard phase == .checkingPassword(token: token) else { break }
            passwordChecked(check, time: time, into: &actions)
        case .bayeux(let generation, let input):
            guard generation == self.generation, clientActive else { break }
            bayeux(input, time: time, into: &actions)
        case .operationFinished(let name, let error):
            if let error {
                actions.append(.log(CoordinatorLog(.warning, "\(name) failed: \(error)", ["gws.operation": name])))
            } else {
                actions.append(.log(CoordinatorLog(.info, "\(name) accepted", ["gws.operation": name])))
            }
        case .timerFired(let id):
            guard let timer = pendingTimer, timer.id == id else { break }
            pendingTimer = nil
            switch timer.purpose {
            case .login where phase == .waitingToLogIn: logIn(into: &actions)
            case .resync where resync == .waitingToRetry: fetchResync(into: &actions)
            default: break
            }
        case .reconfigure(let settings, let reconnect):
            reconfigure(settings, reconnect: reconnect, into: &actions)
        case .stop:
            stop(time: time, into: &actions)
        }
        return actions
    }

    mutating func reconfigure(_ settings: CoordinatorSettings, reconnect: Bool, into actions: inout [CoordinatorAction])
    {
        if settings.servers != self.settings.servers {
            node = 0
            nodeFailures = 0
        }
        self.settings = settings
        applyCallSettings()
        guard reconnect else { return }
        actions.append(.log(CoordinatorLog(.notice, "server settings changed; reconnecting")))
        switch phase {
        case .running:
            phase = .reconnecting
            actions.append(.stopBayeux(generation: generation))
        case .loggingIn, .checkingPassword, .waitingToLogIn:
            pendingTimer = nil
            authFailures = 0
            logIn(into: &actions)
        default:
            break
        }
    }

    /// Logs `message` as a warning the first time it is the problem, at debug level while
    /// it stays the problem: a retry loop says what is wrong once, not once per attempt.
    mutating func logProblem(
        _ message: String, _ metadata: [String: String] = [:], into actions: inout [CoordinatorAction]
    ) {
        let level: CoordinatorLog.Level = loggedProblem == message ? .debug : .warning
        loggedProblem = message
        actions.append(.log(CoordinatorLog(level, message, metadata)))
    }
}
