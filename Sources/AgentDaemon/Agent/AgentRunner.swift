import AgentState
import BayeuxClient
import CurlTransport
import GWS
import HTTPTransport
import Locking
import Logging
import Timekeeping

/// One agent's session with GWS: one task runs an ``AgentCoordinator`` and performs its
/// actions (REST calls, a Bayeux client, timers), publishes the agent's state file,
/// reports its status line and keeps its metrics for the daemon's metrics file.
///
/// Other tasks talk to it only through ``stop()``, ``reload(_:)``, ``operate(_:)`` and
/// ``agentStates()``, and read ``health`` for the watchdog.
public final class AgentRunner: Sendable {
    let inbox: AsyncStream<AgentInput>
    let sink: AsyncStream<AgentInput>.Continuation
    let progress: ProgressStamp
    /// The running Bayeux client, for the watchdog; `nil` while none runs.
    let currentClient = Locked<BayeuxClient<InjectedClock>?>(nil)
    /// The allowances the watchdog applies, as the current configuration sets them.
    let allowance: Locked<HealthAllowance>
    let environment: Environment
    /// The agent's state documents, for the control socket (the fleet's, kept by name).
    public var published: PublishedState { environment.published }
    /// The metrics as of the last heartbeat, for the daemon's metrics file.
    let metrics = Locked<AgentMetrics?>(nil)

    /// What the runner needs from its surroundings; tests substitute the clock, the HTTP
    /// client and the file system.
    public struct Environment: Sendable {
        public var configuration: AgentConfiguration
        public var logger: Logger
        public var header: StateHeader
        public var fileSystem: any FileSystem
        public var seed: UInt64
        /// The clock of every timer, backoff and progress stamp.
        public var clock: InjectedClock
        /// Makes the HTTP client (one cookie jar) of each fresh GWS session; `nil` when
        /// libcurl cannot allocate its handles.
        public var makeHTTPClient: @Sendable (CurlConfiguration) -> (any HTTPClient)?
        /// The least time between two state-file writes during a burst.
        public var stateWriteSpacing: Duration
        /// Paces logins across the agents of the daemon.
        public var loginPacer: LoginPacer
        /// Gives the agents of the daemon their heartbeats (``HeartbeatTicker``).
        public var heartbeats: HeartbeatTicker
        /// Takes the agent's status line and whether its picture is synced (the daemon
        /// makes its one `STATUS=` line from every agent's).
        public var onStatus: @Sendable (_ line: String, _ synced: Bool) -> Void
        /// Where the agent's documents go for the control socket.
        public var published: PublishedState
        /// Whether the daemon's metrics file has each agent's own series now
        /// (`metrics.per_agent_limit`): the heartbeat formats them only then.
        public var perAgentMetrics: @Sendable () -> Bool = { true }

        public init(
            configuration: AgentConfiguration, logger: Logger, header: StateHeader, fileSystem: any FileSystem,
            seed: UInt64, clock: InjectedClock,
            makeHTTPClient: @escaping @Sendable (CurlConfiguration) -> (any HTTPClient)?,
            stateWriteSpacing: Duration, loginPacer: LoginPacer,
            onStatus: @escaping @Sendable (_ line: String, _ synced: Bool) -> Void,
            published: PublishedState = PublishedState(), heartbeats: HeartbeatTicker? = nil
        ) {
            self.heartbeats = heartbeats ?? HeartbeatTicker(clock: clock)
            self.published = published
            self.configuration = configuration
            self.logger = logger
            self.header = header
            self.fileSystem = fileSystem
            self.seed = seed
            self.clock = clock
            self.makeHTTPClient = makeHTTPClient
            self.stateWriteSpacing = stateWriteSpacing
            self.loginPacer = loginPacer
            self.onStatus = onStatus
        }
    }

    public init(environment: Environment) {
        self.environment = environment
        (inbox, sink) = AsyncStream.makeStream(of: AgentInput.self)
        progress = ProgressStamp(clock: environment.clock)
        allowance = Locked(HealthAllowance(environment.configuration))
    }

    /// The session's clock (real time in the daemon).
    public var clock: InjectedClock { environment.clock }

    /// The agent this runner follows.
    public var username: String { environment.configuration.username }

    /// Asks the session to disconnect, write its final state and return from ``run(onReady:)``.
    public func stop() { sink.yield(.stop) }

    /// Hands `input` to the session; one it can no longer handle (it has ended) is
    /// answered at once instead (``AgentInput/abandon()``), so that no caller waits forever.
    func send(_ input: AgentInput) {
        if case .terminated = sink.yield(input) { input.abandon() }
    }

    /// Applies a reloaded configuration; returns once it is in effect (or at once when
    /// the session has ended).
    public func reload(_ configuration: AgentConfiguration) async {
        await withCheckedContinuation { continuation in
            send(.reload(configuration, done: continuation))
        }
    }

    /// Performs `operation` over the session's own GWS session (its cookies and CSRF
    /// token); `nil` while the session has none (not logged in yet, or stopping).
    public func operate(_ operation: AgentOperation) async -> Result<OperationReply, RESTError>? {
        await withCheckedContinuation { continuation in
            send(.operate(operation, reply: { continuation.resume(returning: $0) }))
        }
    }

    /// The agent-state operations GWS offers, read over the session's own GWS session.
    public func agentStates() async -> Result<[AgentStateSetting], RESTError>? {
        await withCheckedContinuation { continuation in
            send(.agentStates(reply: { continuation.resume(returning: $0) }))
        }
    }

    /// Whether the session is making progress, for the systemd watchdog.
    public var health: AgentHealth {
        let client = currentClient.withLock { $0 }
        return AgentHealth(
            loopProgress: progress.last, bayeuxProgress: client?.snapshot.lastProgress,
            adviceTimeout: client?.snapshot.adviceTimeout, allowance: allowance.withLock { $0 })
    }

    /// Runs until stopped or until the coordinator gives up.
    /// - Parameter onReady: called once the first state file (`connected: false`) is
    ///   written or has failed (its error), before any network activity.
    public func run(onReady: @Sendable (FileSystemError?) -> Void) async -> AgentOutcome {
        let outcome = await AgentLoop(runner: self).run(onReady: onReady)
        // Nothing reads the inbox any more: answer what is in it and whatever comes later.
        sink.finish()
        for await input in inbox { input.abandon() }
        return outcome
    }
}

/// How long each loop may go without progress before the watchdog calls it stuck, from
/// the configuration in effect (it changes with a reload).
public struct HealthAllowance: Sendable, Equatable {
    /// The session loop handles at least one input per heartbeat (`state.heartbeat_s`).
    public var heartbeat: Duration
    /// `server.max_network_delay_s`, on top of the long-poll hold time.
    public var maxNetworkDelay: Duration
    /// The longest backoff delay between two attempts of the Bayeux client.
    public var backoffMaximum: Duration

    public init(heartbeat: Duration, maxNetworkDelay: Duration, backoffMaximum: Duration = .seconds(30)) {
        self.heartbeat = heartbeat
        self.maxNetworkDelay = maxNetworkDelay
        self.backoffMaximum = backoffMaximum
    }

    init(_ configuration: AgentConfiguration) {
        self.init(
            heartbeat: .seconds(configuration.heartbeatSeconds), maxNetworkDelay: configuration.server.maxNetworkDelay)
    }
}

/// What the watchdog needs to tell a healthy session from a stuck one.
public struct AgentHealth: Sendable {
    /// Whether the session task handled an input within its heartbeat (plus `slack`):
    /// the daemon's loop runs, whatever GWS does to this agent.
    public func isLoopHealthy(now: ContinuousClock.Instant, slack: Duration = .seconds(15)) -> Bool {
        loopProgress.duration(to: now) <= allowance.heartbeat + slack
    }

    /// When the session task last handled an input (at least every heartbeat).
    public var loopProgress: ContinuousClock.Instant
    /// When the Bayeux client's loop last handled an event, if a client runs.
    public var bayeuxProgress: ContinuousClock.Instant?
    /// The server's long-poll hold time, if a client runs.
    public var adviceTimeout: Duration?
    /// The allowances of the configuration in effect.
    public var allowance: HealthAllowance

    /// Whether both loops made progress recently enough at `now`.
    ///
    /// The session loop handles at least one input per heartbeat; the Bayeux loop at
    /// least one event per long poll (`adviceTimeout + maxNetworkDelay`) or per backoff
    /// delay (at most `backoffMaximum`). `slack` covers scheduling delays. While no Bayeux
    /// client runs (logging in, waiting to retry), only the session loop is judged: GWS
    /// refusing or being unreachable is not a reason for systemd to restart the daemon.
    public func isHealthy(now: ContinuousClock.Instant, slack: Duration = .seconds(15)) -> Bool {
        guard isLoopHealthy(now: now, slack: slack) else { return false }
        guard let bayeuxProgress else { return true }
        let limit = max((adviceTimeout ?? .zero) + allowance.maxNetworkDelay, allowance.backoffMaximum) + slack
        return bayeuxProgress.duration(to: now) <= limit
    }
}
