import AgentState
import BayeuxCore
import BuildVersion
import CurlTransport
import HTTPTransport
import Locking
import Logging
import Placement
import Systemd
import Timekeeping

/// The agents the daemon follows, one or ten thousand: an ``AgentRunner`` per agent, each
/// with its own GWS session, state file and log field, sharded over `agents.threads`
/// threads, each with its own libcurl loop (``FleetShards``).
///
/// An agent whose session gives up is handled by the configuration's ``GiveUpPolicy``:
/// the daemon ends (one agent: systemd restarts it), or the agent is tried again after the
/// delay or at the next reload while the others run on. A reload adds, removes and
/// reconfigures agents; the others' sessions are not touched.
final class AgentFleet: Sendable {
    /// What every agent's runner shares.
    struct Environment: Sendable {
        var logger: Logger
        var header: StateHeader
        var notifier: SystemdNotifier
        var clock: InjectedClock
        var fileSystem: any FileSystem
        var makeHTTPClient: @Sendable (CurlConfiguration) -> (any HTTPClient)?
        /// The least time between two writes of one state file during a burst.
        var stateWriteSpacing: Duration
        /// Seeds each agent's backoff jitter (a fixed seed makes a test repeatable).
        var seed: UInt64
        /// How many CPUs the process may run on: the shards when `agents.threads` is not set.
        var allowedCPUs: Int = ProcessEnvironment.allowedCPUs
        /// Starts shard `index`'s thread (from 1: shard 0 is the daemon's own thread).
        var makeExecutor: @Sendable (Int) -> (any TaskExecutor)? = { CurlExecutor(name: "gws-agents-\($0)") }
    }

    private struct Ending {
        var outcome: AgentOutcome?
        var waiter: CheckedContinuation<AgentOutcome, Never>?
    }

    private let environment: Environment
    private let members = Locked<[String: FleetMember]>([:])
    /// Each agent's documents, by name: kept across its sessions, and past its removal while
    /// anyone observes them (a subscription then hears `ended`, and more if it returns).
    private let channels = Locked<[String: PublishedState]>([:])
    private let configuration: Locked<DaemonConfiguration>
    private let seeds: Locked<SplitMix64>
    private let ending = Locked(Ending())
    /// Reloads run one after another: a second reload close behind a first that removes an
    /// agent could otherwise re-add it and have its new state file deleted by the first.
    private let reloads = SerialQueue()
    let status: FleetStatus
    /// When the daemon started, in seconds since the epoch (`gws_agentd_start_time_seconds`).
    private let startTime = WallClock.now()
    let pacer: LoginPacer
    /// Every agent's heartbeats.
    let heartbeats: HeartbeatTicker
    /// The threads the agents run on.
    let shards: FleetShards

    init(configuration: DaemonConfiguration, environment: Environment) {
        self.environment = environment
        self.configuration = Locked(configuration)
        seeds = Locked(SplitMix64(seed: environment.seed))
        status = FleetStatus(
            notifier: environment.notifier, clock: environment.clock, insecurity: configuration.server.insecurity)
        pacer = LoginPacer(
            concurrency: configuration.logins.concurrency, jitter: configuration.logins.jitter,
            clock: environment.clock, seed: environment.seed)
        heartbeats = HeartbeatTicker(clock: environment.clock)
        shards = FleetShards(
            count: FleetShards.count(
                configured: configuration.threads, agents: configuration.agents.count,
                allowedCPUs: environment.allowedCPUs),
            makeExecutor: environment.makeExecutor)
    }

    /// The configuration in effect (the last reload's).
    var currentConfiguration: DaemonConfiguration { configuration.withLock { $0 } }

    /// The agents followed now, sorted.
    var usernames: [String] { members.withLock { $0.keys.sorted() } }

    /// How many agents are followed now.
    var count: Int { members.withLock { $0.count } }

    /// The running session of `username`, if it is followed and not waiting to retry.
    func runner(of username: String) -> AgentRunner? {
        members.withLock { $0[username] }?.current
    }

    /// Whether `username` is followed (running, or waiting to retry).
    func follows(_ username: String) -> Bool { members.withLock { $0[username] != nil } }

    /// The documents of `username`, while it is followed or observed.
    func published(of username: String) -> PublishedState? { channels.withLock { $0[username] } }

    /// The channel of `username`, made when it is first followed.
    private func channel(of username: String) -> PublishedState {
        channels.withLock { channels in
            if let channel = channels[username] { return channel }
            let channel = PublishedState()
            channels[username] = channel
            return channel
        }
    }

    /// Forgets the channel of an agent no longer followed, once nobody observes it.
    func releaseChannel(of username: String) {
        let followed = follows(username)
        channels.withLock { channels in
            if !followed, let channel = channels[username], channel.observerCount == 0 { channels[username] = nil }
        }
    }

    /// Agents set up in one executor job at a start or reload, before the loop lets the
    /// others' jobs run: 256 take about 2 ms (one agent's session costs about 9 µs to make),
    /// where all 10,000 in one job held every other agent up for 86 ms.
    static let agentsPerJob = 256

    /// Starts every agent's session; returns once each has written its first state file
    /// (or failed to), before any of them logs in.
    func start() async {
        let agents = configuration.withLock { $0.agents }
        var readies: [@Sendable () async -> Void] = []
        readies.reserveCapacity(agents.count)
        for agent in agents {
            readies.append(add(agent))
            if readies.count % Self.agentsPerJob == 0 { await ExecutorTimer.yield() }
        }
        await ConcurrentWork.forEach(readies) { ready in await ready() }
    }

    /// Runs until ``stop()`` or until an agent gives up under ``GiveUpPolicy/exitDaemon``;
    /// then stops every session (each disconnects and writes its final state) and returns
    /// how the daemon ends.
    func run() async -> AgentOutcome {
        let outcome = await withCheckedContinuation { continuation in
            let done = ending.withLock { state -> AgentOutcome? in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
        let all = members.withLock { state in
            defer { state = [:] }
            return Array(state.values)
        }
        await ConcurrentWork.forEach(all) { member in await member.end() }
        return outcome
    }

    /// Asks ``run()`` to stop every session and return.
    func stop() { end(.stopped) }

    /// An agent gave up under ``GiveUpPolicy/exitDaemon``: the daemon ends with its reason.
    func giveUp(_ reason: FatalReason) { end(.fatal(reason)) }

    private func end(_ outcome: AgentOutcome) {
        let waiter = ending.withLock { state -> CheckedContinuation<AgentOutcome, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: outcome)
    }

    /// Applies a reloaded configuration: agents added, removed (their sessions end and their
    /// state files go), and reconfigured (new credentials or server settings give that agent
    /// a new GWS session); the others keep theirs. Returns once every change is in effect.
    func reload(_ new: DaemonConfiguration) async {
        await reloads.run { await self.applyReload(new) }
    }

    private func applyReload(_ new: DaemonConfiguration) async {
        let old = configuration.withLock { state in
            defer { state = new }
            return state
        }
        status.insecurity = new.server.insecurity
        let wanted = Set(new.agents.map(\.username))
        let removed = members.withLock { state in
            let gone = state.keys.filter { !wanted.contains($0) }
            return gone.compactMap { state.removeValue(forKey: $0) }
        }
        var added = 0
        for member in removed {
            environment.logger.notice("agent removed", metadata: ["gws.username": "\(member.username)"])
            status.remove(member.username)
            shards.release(member.shard)
        }
        await ConcurrentWork.forEach(removed) { member in
            await member.end()
            self.channel(of: member.username).end()
            self.releaseChannel(of: member.username)
            AtomicFileWriter(path: member.stateFile, fileSystem: self.environment.fileSystem).remove()
            self.environment.logger.debug(
                "state file of a removed agent deleted",
                metadata: ["gws.username": "\(member.username)", "state.file": "\(member.stateFile)"])
        }
        var changes: [@Sendable () async -> Void] = []
        for (index, agent) in new.agents.enumerated() {
            if index > 0, index % Self.agentsPerJob == 0 { await ExecutorTimer.yield() }
            if let member = members.withLock({ $0[agent.username] }) {
                let configuration = new.configuration(for: agent)
                changes.append { await member.reconfigure(configuration) }
            } else {
                environment.logger.notice("agent added", metadata: ["gws.username": "\(agent.username)"])
                added += 1
                changes.append(add(agent))
            }
        }
        await ConcurrentWork.forEach(changes) { change in await change() }
        environment.logger.info(
            "configuration reloaded",
            metadata: [
                "agents": "\(new.agents.count)", "agents.added": "\(added)", "agents.removed": "\(removed.count)",
            ])
        if old.logins.concurrency != new.logins.concurrency {
            environment.logger.notice(
                "agents.login_concurrency takes effect at the next start",
                metadata: ["agents.login_concurrency": "\(new.logins.concurrency)"])
        }
        if old.threads != new.threads {
            environment.logger.notice(
                "agents.threads takes effect at the next start",
                metadata: ["agents.threads": "\(new.threads.map(String.init) ?? "the CPUs allowed")"])
        }
    }

    /// Whether every session's loop made progress recently enough, for the watchdog: a
    /// session that GWS refuses or cannot serve keeps its loop going, so only a stuck
    /// daemon stops the pings.
    func isHealthy(now: ContinuousClock.Instant) -> Bool {
        let runners = members.withLock { $0.values.compactMap(\.current) }
        return runners.allSatisfy { $0.health.isLoopHealthy(now: now) }
    }

    /// The metrics of every agent as of its last heartbeat, in one exposition: the
    /// daemon-wide series always, each agent's own while there are at most
    /// `metrics.per_agent_limit` agents.
    func metricsText() -> String {
        let runners = members.withLock { $0.values.compactMap(\.current) }
        var agents = runners.compactMap { $0.metrics.withLock { $0 } }
        let perAgent = perAgentMetrics
        if perAgent { agents.sort { $0.agent < $1.agent } }
        let counts = status.counts
        return FleetMetrics(
            version: BuildVersion.current, startTime: startTime, agents: agents, followed: counts.total,
            synced: counts.synced, perAgent: perAgent, executor: ExecutorJobStats.current()
        ).render()
    }

    /// Whether the metrics file has each agent's own series: at most
    /// `metrics.per_agent_limit` agents configured. The configuration, not the agents
    /// running now: at a stop every agent leaves the fleet before it formats its last
    /// metrics, and counting those left made all 10,000 format their own series (7 % of a
    /// stop's CPU).
    var perAgentMetrics: Bool {
        configuration.withLock { $0.agents.count <= $0.metricsPerAgentLimit }
    }

    /// Starts following `agent`; the returned function waits for its first state file.
    private func add(_ agent: AgentEntry) -> @Sendable () async -> Void {
        let configuration = self.configuration.withLock { $0.configuration(for: agent) }
        status.add(agent.username)
        let shard = shards.assign()
        let member = FleetMember(
            configuration: configuration, shard: shard, executor: shards.executor(of: shard),
            makeRunner: { [weak self] in self?.makeRunner($0) },
            policy: { [weak self] in self?.currentConfiguration.onGiveUp ?? .exitDaemon },
            events: FleetMember.Events(
                firstWrite: { [status] error in
                    status.update(
                        agent.username, line: "starting" + (error.map { "; state file not written: \($0)" } ?? ""),
                        synced: false)
                },
                gaveUp: { [weak self] reason in self?.giveUp(reason) }),
            logger: logger(of: agent.username), clock: environment.clock)
        members.withLock { $0[agent.username] = member }
        return member.begin()
    }

    private func logger(of username: String) -> Logger {
        var logger = environment.logger
        logger[metadataKey: "gws.username"] = .string(username)
        return logger
    }

    private func makeRunner(_ configuration: AgentConfiguration) -> AgentRunner {
        let username = configuration.username
        let status = self.status
        var header = environment.header
        header.heartbeatSeconds = configuration.heartbeatSeconds
        var runnerEnvironment = AgentRunner.Environment(
            configuration: configuration, logger: logger(of: username), header: header,
            fileSystem: environment.fileSystem, seed: seeds.withLock { $0.next() }, clock: environment.clock,
            makeHTTPClient: environment.makeHTTPClient, stateWriteSpacing: environment.stateWriteSpacing,
            loginPacer: pacer,
            onStatus: { line, synced in status.update(username, line: line, synced: synced) },
            published: channel(of: username), heartbeats: heartbeats)
        runnerEnvironment.perAgentMetrics = { [weak self] in self?.perAgentMetrics ?? false }
        return AgentRunner(environment: runnerEnvironment)
    }
}
