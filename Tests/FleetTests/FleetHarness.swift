import AgentState
import CurlTransport
import Foundation
import GWSSimulator
import HTTPTransport
import Locking
import Logging
import Systemd
import TestSupport
import Testing
import Timekeeping

@testable import AgentDaemon

/// The daemon's fleet of agents, in-process, against gws-sim's rules served in memory, on
/// time that moves only when the test moves it. The same harness for one agent and for
/// hundreds: they run the same code.
final class FleetHarness: Sendable {
    let gws: InMemoryGWS
    let time: ManualTime
    let directory: TemporaryDirectory
    let fleet: AgentFleet
    let configuration: DaemonConfiguration
    private let sent = Locked<[String]>([])
    private let logged = Locked<[String]>([])
    private let ended = Locked<AgentOutcome?>(nil)

    /// How long the engine holds a long poll.
    static let hold: Duration = .seconds(25)

    /// The second shard of every harness's fleet: one thread for the whole test process
    /// (a daemon starts its shards once and keeps them).
    static let shard = CurlExecutor(name: "fleet-test-shard")

    /// Each HTTP client the agents made, with the executor it was made on and the executor
    /// of each of its requests (`nil`: no preference, the daemon's own thread).
    let placements = Locked<[ClientPlacement]>([])

    /// - Parameters:
    ///   - agents: how many agents (agent1 … agentN, password `pw-N`).
    ///   - onGiveUp: what happens when an agent's session gives up.
    ///   - threads: `agents.threads` (the harness's process may run on two CPUs).
    init(
        agents count: Int, onGiveUp: GiveUpPolicy = .retryAgent(after: .seconds(300)), threads: Int? = nil
    ) async throws {
        time = ManualTime()
        let simulated = (1...count).map { SimulatedAgent(username: "agent\($0)", password: "pw-\($0)") }
        gws = await InMemoryGWS(
            configuration: SimulatorConfiguration(
                agents: simulated, cometd: CometDSettings(timeout: Self.hold, maxInterval: .seconds(60))),
            time: time)
        directory = try TemporaryDirectory(memory: true)
        for agent in simulated { try directory.write("\(agent.username).password", agent.password + "\n") }
        let path = directory.path
        let entries = try simulated.map { agent in
            AgentEntry(
                username: agent.username,
                password: try PasswordSource(environment: [:]).readFile(
                    path + "/\(agent.username).password", key: "test", checkPermissions: true),
                stateFile: path + "/\(agent.username).json")
        }
        configuration = DaemonConfiguration(
            server: ServerSettings(urls: gws.baseURLs, maxNetworkDelay: .seconds(5)), agents: entries,
            stateDirectory: directory.path, heartbeatSeconds: 3600,
            logins: LoginPacing(concurrency: 64, jitter: .zero), threads: threads, onGiveUp: onGiveUp)
        let sent = self.sent
        let placements = self.placements
        let logged = self.logged
        let gws = self.gws
        fleet = AgentFleet(
            configuration: configuration,
            environment: AgentFleet.Environment(
                logger: Logger(label: "fleet-test") { _ in FleetLogRecorder(entries: logged) },
                header: StateHeader(generator: "gws-agentd test", pid: 1, invocationID: nil, heartbeatSeconds: 3600),
                notifier: SystemdNotifier { text in sent.withLock { $0.append(text) } }, clock: time.clock,
                fileSystem: POSIXFileSystem(),
                makeHTTPClient: { _ in PlacementRecordingClient(gws.client(), into: placements) },
                stateWriteSpacing: .zero, seed: 7, allowedCPUs: 2, makeExecutor: { _ in Self.shard }))
    }

    /// Every username, in order.
    var usernames: [String] { configuration.agents.map(\.username) }

    /// Starts every agent and runs the fleet until it ends.
    func start() async {
        await fleet.start()
        let fleet = self.fleet
        let ended = self.ended
        Task {
            let outcome = await fleet.run()
            ended.withLock { $0 = outcome }
        }
    }

    /// How the fleet ended, once it has.
    func outcome(sourceLocation: SourceLocation = #_sourceLocation) async -> AgentOutcome? {
        await waitFor("the fleet to end", sourceLocation: sourceLocation) { self.ended.withLock { $0 } }
    }

    /// Stops the fleet and returns how it ended.
    func stop() async -> AgentOutcome? {
        fleet.stop()
        return await outcome()
    }

    /// The state file of `username` now.
    func state(_ username: String) -> StateDocument? {
        FileManager.default.contents(atPath: directory.path + "/\(username).json").flatMap {
            try? StateDocument.decode(Array($0))
        }
    }

    /// Every log entry, oldest first, as `USERNAME: message` (`-` for the daemon's own).
    var logEntries: [String] { logged.withLock { $0 } }

    /// Every `STATUS=` sent, oldest first.
    var statusLines: [String] {
        sent.withLock { $0 }.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("STATUS=") }
            .map { String($0.dropFirst(7)) }
    }

    /// Waits until every agent of `names` (all when nil) is connected and synced and `check` holds.
    @discardableResult
    func waitForSynced(
        _ names: [String]? = nil, _ what: String = "connected and synced",
        sourceLocation: SourceLocation = #_sourceLocation, _ check: @escaping (StateDocument) -> Bool = { _ in true }
    ) async -> Bool {
        let names = names ?? usernames
        // Many agents: the fleet's own count first (reading every file each time is costly),
        // then every file once.
        if names.count > 1, names.count == usernames.count {
            await waitUntil("\(what): the fleet's count of synced agents", sourceLocation: sourceLocation) {
                self.fleet.status.counts.synced == names.count
            }
        }
        return await waitUntil(
            "\(what) (\(names.count) agent(s))",
            diagnosis: "not yet: \(names.filter { !self.isSynced($0, check) }.prefix(5))",
            sourceLocation: sourceLocation
        ) { names.allSatisfy { self.isSynced($0, check) } }
    }

    private func isSynced(_ name: String, _ check: (StateDocument) -> Bool) -> Bool {
        guard let document = state(name) else { return false }
        return document.connection.connected && document.agent.synced && check(document)
    }

    /// Moves time to the next pending deadline, once everything in flight is parked; `nil`
    /// when `done` already holds.
    @discardableResult
    func advanceToNextTimer(
        unless done: @escaping () -> Bool = { false }, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Duration? {
        let settled = await waitUntil("a pending timer", sourceLocation: sourceLocation) {
            if done() { return true }
            guard self.time.wakingSleepers == 0, self.time.nextDelay != nil else { return false }
            let parked = await self.gws.engine.heldConnects
            return self.gws.inFlight == parked + self.gws.hanging && self.time.wakingSleepers == 0
        }
        guard settled, !done() else { return nil }
        return time.advanceToNextDeadline()
    }

    /// Moves time on, one deadline at a time, until `done` holds; returns how far it moved.
    /// The bound is the test deadline (real time), not an amount of this time: on a loaded
    /// machine the harness may step ahead of tasks still on their way, so time can run further
    /// than the events strictly needed, never less.
    @discardableResult
    func advance(
        until done: @escaping () -> Bool, limit: Duration? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Duration {
        var moved = Duration.zero
        let deadline = ContinuousClock.now + testDeadline
        while !done(), limit.map({ moved < $0 }) ?? true {
            guard ContinuousClock.now < deadline else {
                Issue.record("time moved \(moved) and the condition never held", sourceLocation: sourceLocation)
                break
            }
            guard let step = await advanceToNextTimer(unless: done, sourceLocation: sourceLocation) else { break }
            moved += step
        }
        return moved
    }
}

/// Keeps each log entry as `USERNAME: message`, for tests of what happened in which order.
struct FleetLogRecorder: LogHandler {
    let entries: Locked<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let username = event.metadata?["gws.username"] ?? metadata["gws.username"] ?? "-"
        entries.withLock { $0.append("\(username): \(event.message)") }
    }
}

/// Where one HTTP client of an agent was made, and where each of its requests ran.
struct ClientPlacement: Sendable {
    var made: UnownedTaskExecutor?
    var requests: [UnownedTaskExecutor?] = []
}

/// An HTTP client that notes the executor preference of the task that made it and of each
/// task that sends a request through it.
final class PlacementRecordingClient: HTTPClient {
    private let inner: any HTTPClient
    private let placements: Locked<[ClientPlacement]>
    private let index: Int

    init(_ inner: any HTTPClient, into placements: Locked<[ClientPlacement]>) {
        self.inner = inner
        self.placements = placements
        let made = Self.currentExecutor
        index = placements.withLock { placements in
            placements.append(ClientPlacement(made: made))
            return placements.count - 1
        }
    }

    private static var currentExecutor: UnownedTaskExecutor? { withUnsafeCurrentTask { $0?.unownedTaskExecutor } }

    func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let executor = Self.currentExecutor
        placements.withLock { $0[index].requests.append(executor) }
        return try await inner.perform(request)
    }

    func clearCookies() async { await inner.clearCookies() }

    func shutdown() { inner.shutdown() }
}
