import AgentState
import Locking
import Logging
import Systemd

/// The sessions of a daemon that follows several agents (`agents.*`): one ``AgentSession``
/// per agent, each with its own GWS session, state file and log field, all on the
/// daemon's one executor thread and libcurl loop.
///
/// An agent whose session gives up (a refused password, say) does not end the daemon: its
/// state file says why, and it is tried again after ``retryAfter`` or at the next reload.
/// A reload adds, removes and reconfigures agents; the others' sessions are not touched.
final class AgentFleet: Sendable {
    /// What every agent's session shares.
    struct Environment: Sendable {
        var logger: Logger
        var header: StateHeader
        var notifier: SystemdNotifier
        var version: String
        var clock: DaemonClock = .continuous
        var makeSessionEnvironment: @Sendable (AgentSession.SessionEnvironment) -> AgentSession.SessionEnvironment = {
            $0
        }
    }

    /// How long an agent whose session gave up waits before it is tried again.
    static let retryAfter: Duration = .seconds(300)

    private let environment: Environment
    private let members = Locked<[String: FleetMember]>([:])
    private let configuration: Locked<DaemonConfiguration>
    let status: FleetStatus
    let pacer: LoginPacer
    /// Resumed by ``stop()``.
    private let stopped = Locked<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(configuration: DaemonConfiguration, environment: Environment) {
        self.environment = environment
        self.configuration = Locked(configuration)
        status = FleetStatus(notifier: environment.notifier)
        let roster = configuration.roster
        pacer = LoginPacer(
            concurrency: roster?.loginConcurrency ?? 8, jitter: roster?.loginJitter ?? .zero, clock: environment.clock,
            seed: UInt64.random(in: .min ... .max))
    }

    /// The configuration in effect (the last reload's).
    var currentConfiguration: DaemonConfiguration { configuration.withLock { $0 } }

    /// The agents followed now, sorted.
    var usernames: [String] { members.withLock { $0.keys.sorted() } }

    /// The running session of `username`, if it is followed.
    func session(of username: String) -> AgentSession? {
        members.withLock { $0[username] }?.current
    }

    /// Starts every agent's session; returns once each has written its first state file
    /// (or failed to), before any of them logs in.
    func start() async {
        let agents = configuration.withLock { $0.roster?.agents ?? [] }
        await withTaskGroup(of: Void.self) { group in
            for agent in agents {
                let ready = add(agent)
                group.addTask { await ready() }
            }
        }
    }

    /// Runs until ``stop()``, then stops every session (each disconnects and writes its
    /// final state) and returns.
    func run() async {
        await withCheckedContinuation { continuation in
            let done = stopped.withLock { state -> Bool in
                if state.done { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
        let all = members.withLock { state in
            defer { state = [:] }
            return Array(state.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for member in all { group.addTask { await member.end() } }
        }
    }

    /// Asks ``run()`` to stop every session and return.
    func stop() {
        let waiter = stopped.withLock { state in
            state.done = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Applies a reloaded configuration: agents added, removed, and reconfigured (a new
    /// password or server setting gives that agent a new GWS session); the others keep theirs.
    func reload(_ new: DaemonConfiguration) async {
        let old = configuration.withLock { state in
            defer { state = new }
            return state
        }
        let agents = new.roster?.agents ?? []
        let wanted = Set(agents.map(\.username))
        let removed = members.withLock { state in
            let gone = state.keys.filter { !wanted.contains($0) }
            return gone.compactMap { state.removeValue(forKey: $0) }
        }
        var added = 0
        await withTaskGroup(of: Void.self) { group in
            for member in removed {
                environment.logger.notice("agent removed", metadata: ["gws.username": "\(member.username)"])
                status.remove(member.username)
                group.addTask {
                    await member.end()
                    AtomicFileWriter(path: member.stateFile).remove()
                }
            }
            for agent in agents {
                if let member = members.withLock({ $0[agent.username] }) {
                    let configuration = new.configuration(for: agent)
                    group.addTask { await member.reconfigure(configuration) }
                } else {
                    environment.logger.notice("agent added", metadata: ["gws.username": "\(agent.username)"])
                    added += 1
                    let ready = add(agent)
                    group.addTask { await ready() }
                }
            }
        }
        environment.logger.info(
            "configuration reloaded",
            metadata: ["agents": "\(agents.count)", "agents.added": "\(added)", "agents.removed": "\(removed.count)"])
        if old.roster?.loginConcurrency != new.roster?.loginConcurrency {
            environment.logger.notice(
                "agents.login_concurrency takes effect at the next start",
                metadata: ["agents.login_concurrency": "\(new.roster?.loginConcurrency ?? 0)"])
        }
    }

    /// Whether every session's loop made progress recently enough, for the watchdog: a
    /// session that GWS refuses or cannot serve keeps its loop going, so only a stuck
    /// daemon stops the pings.
    func isHealthy(now: ContinuousClock.Instant) -> Bool {
        let sessions = members.withLock { $0.values.compactMap(\.current) }
        return sessions.allSatisfy { $0.health.isLoopHealthy(now: now) }
    }

    /// The metrics of every agent as of its last heartbeat, in one exposition.
    func metricsText() -> String {
        let sessions = members.withLock { $0.values.compactMap(\.current) }
        var texts = sessions.compactMap { $0.metrics.withLock { $0 } }
        texts.sort { ($0.agent ?? "") < ($1.agent ?? "") }
        let counts = status.counts
        return MetricsText.render(texts)
            + "# HELP gws_agentd_agents Agents this daemon follows.\n# TYPE gws_agentd_agents gauge\n"
            + "gws_agentd_agents \(counts.total)\n"
            + "# HELP gws_agentd_agents_synced Agents whose picture is synced.\n# TYPE gws_agentd_agents_synced gauge\n"
            + "gws_agentd_agents_synced \(counts.synced)\n"
    }

    /// Starts following `agent`; the returned function waits for its first state file.
    private func add(_ agent: AgentRosterConfiguration.Agent) -> @Sendable () async -> Void {
        let configuration = self.configuration.withLock { $0.configuration(for: agent) }
        status.add(agent.username)
        let member = FleetMember(
            username: agent.username, configuration: configuration, makeSession: makeSession(_:),
            logger: logger(of: agent.username), clock: environment.clock)
        members.withLock { $0[agent.username] = member }
        return member.begin()
    }

    private func logger(of username: String) -> Logger {
        var logger = environment.logger
        logger[metadataKey: "gws.username"] = .string(username)
        return logger
    }

    private func makeSession(_ configuration: DaemonConfiguration) -> AgentSession {
        let username = configuration.server.username
        let status = self.status
        var header = environment.header
        header.heartbeatSeconds = configuration.heartbeatSeconds
        let base = AgentSession.SessionEnvironment(
            configuration: configuration, logger: logger(of: username), header: header,
            notifier: environment.notifier, version: environment.version, clock: environment.clock,
            loginPacer: pacer,
            statusSink: { line, synced in status.update(username, line: line, synced: synced) })
        var session = environment.makeSessionEnvironment(base)
        session.collectsMetrics = true
        return AgentSession(environment: session)
    }
}
