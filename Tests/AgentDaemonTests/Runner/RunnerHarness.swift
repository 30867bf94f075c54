import AgentState
import Foundation
import GWSSimulator
import Locking
import Logging
import TestSupport
import Testing
import Timekeeping

@testable import AgentDaemon

/// One agent's runner (the loop that drives the coordinator, the REST client and the
/// Bayeux client) run in-process against gws-sim's engine served in memory, on time that
/// moves only when the test moves it: recovery paths are tested without waiting for real
/// backoffs, and against the same rules gws-sim serves.
final class RunnerHarness: Sendable {
    static let password = "pw-1"
    /// How long the engine holds a long poll.
    static let hold: Duration = .seconds(25)

    let gws: InMemoryGWS
    let time: ManualTime
    let directory: TemporaryDirectory
    let runner: AgentRunner
    let configuration: AgentConfiguration
    private let statuses = Locked<[String]>([])
    private let messages = Locked<[String]>([])
    private let ended = Locked<AgentOutcome?>(nil)

    var statePath: String { directory.path + "/state.json" }
    var passwordPath: String { directory.path + "/password" }
    var engine: GWSEngine { gws.engine }

    /// - Parameters:
    ///   - nodes: the nodes of the GWS cluster, all in `server.url`.
    ///   - heartbeat: `state.heartbeat_s`; long by default, so that its timer stays out of the way.
    ///   - publishCallDetails: `calls.publish_details`.
    init(nodes: Int = 1, heartbeat: Int = 3600, publishCallDetails: Bool = false) async throws {
        time = ManualTime()
        gws = await InMemoryGWS(
            configuration: SimulatorConfiguration(
                agents: [SimulatedAgent(username: "agent1", password: Self.password)],
                cometd: CometDSettings(timeout: Self.hold, maxInterval: .seconds(60)), nodes: nodes),
            time: time)
        directory = try TemporaryDirectory()
        try directory.write("password", Self.password + "\n")
        let password = try PasswordSource(environment: [:]).read(passwordFile: directory.path + "/password")
        configuration = AgentConfiguration(
            server: ServerSettings(urls: gws.baseURLs, maxNetworkDelay: .seconds(5)), username: "agent1",
            password: password, stateFile: directory.path + "/state.json", heartbeatSeconds: heartbeat,
            publishCallDetails: publishCallDetails)
        let statuses = self.statuses
        let messages = self.messages
        let gws = self.gws
        runner = AgentRunner(
            environment: AgentRunner.Environment(
                configuration: configuration,
                logger: Logger(label: "runner-test") { _ in RecordingLogHandler(messages) },
                header: StateHeader(
                    generator: "gws-agentd test", pid: 1, invocationID: nil, heartbeatSeconds: heartbeat),
                fileSystem: POSIXFileSystem(), seed: 42, clock: time.clock, makeHTTPClient: { _ in gws.client() },
                stateWriteSpacing: .zero, loginPacer: LoginPacer(concurrency: 8, jitter: .zero, clock: time.clock),
                onStatus: { line, _ in statuses.withLock { $0.append(line) } }))
    }

    /// Starts the runner.
    func start() {
        let runner = self.runner
        let ended = self.ended
        Task {
            let outcome = await runner.run { _ in }
            ended.withLock { $0 = outcome }
        }
    }

    /// Stops the runner and returns how it ended.
    func stop() async -> AgentOutcome? {
        runner.stop()
        return await outcome()
    }

    /// How the runner ended, once it has.
    func outcome(sourceLocation: SourceLocation = #_sourceLocation) async -> AgentOutcome? {
        await waitFor("the runner to end", diagnosis: self.diagnosis, sourceLocation: sourceLocation) {
            self.ended.withLock { $0 }
        }
    }

    /// The state file as it is now.
    var state: StateDocument? {
        (try? Data(contentsOf: URL(fileURLWithPath: statePath))).flatMap { try? StateDocument.decode(Array($0)) }
    }

    /// Every status line reported, oldest first.
    var statusLines: [String] { statuses.withLock { $0 } }
    /// Every log message, oldest first.
    var logMessages: [String] { messages.withLock { $0 } }

    /// Every request the engine saw, oldest first.
    func requests() async -> [LoggedRequest] { await engine.requests }

    /// The logins (`GET /api/v2/me`), oldest first.
    func logins() async -> [LoggedRequest] { await requests().filter(\.isLogin) }

    /// The logins that carried no session cookie: each one a fresh cookie jar.
    func freshLogins() async -> Int { await logins().filter { !$0.cookies.contains("JSESSIONID") }.count }

    /// Successful handshakes.
    func handshakes() async -> Int {
        await requests().filter { $0.channels.contains("/meta/handshake") && $0.status == 200 }.count
    }

    /// Long polls parked on the engine now.
    func parkedPolls() async -> Int { await engine.heldConnects }

    /// Changes the agent's state (and DND) as another desktop would.
    func change(state operation: String, dnd: Bool? = nil) async {
        await engine.apply(operation)
        if let dnd { await engine.apply(dnd ? "DoNotDisturbOn" : "DoNotDisturbOff") }
    }

    /// Ends the parked long polls the way their hold time does.
    func endHolds() { time.advance(by: Self.hold) }

    /// Waits until the state file says connected and synced (with `check` true).
    @discardableResult
    func waitForSynced(
        _ what: String = "connected and synced", sourceLocation: SourceLocation = #_sourceLocation,
        _ check: @escaping (StateDocument) -> Bool = { _ in true }
    ) async -> StateDocument? {
        await waitFor(what, diagnosis: self.diagnosis, sourceLocation: sourceLocation) {
            guard let document = self.state, document.connection.connected, document.agent.synced, check(document)
            else { return nil }
            return document
        }
    }

    /// What the runner says it is doing, for a failed wait.
    var diagnosis: String {
        "connection: \(String(describing: state?.connection)); status: \(statusLines.suffix(5).joined(separator: " | "))"
    }

    /// Waits until nothing is in flight but parked polls and a timer is pending, then
    /// moves time to that timer. Returns how far time moved, or `nil` when `done` became
    /// true first (or nothing settled: an issue is recorded then).
    @discardableResult
    func advanceToNextTimer(
        unless done: @escaping () -> Bool = { false }, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Duration? {
        let settled = await waitUntil(
            "a pending timer", diagnosis: self.diagnosis, sourceLocation: sourceLocation
        ) {
            if done() { return true }
            guard self.time.wakingSleepers == 0, self.time.nextDelay.map({ $0 < .seconds(600) }) == true else {
                return false
            }
            let parked = await self.parkedPolls()
            return self.gws.inFlight == parked + self.gws.hanging && self.time.wakingSleepers == 0
        }
        guard settled, !done() else { return nil }
        return time.advanceToNextDeadline()
    }
}

extension LoggedRequest {
    /// A login or resync: `GET /api/v2/me…` (not the resync's read of the calls).
    var isLogin: Bool { method == "GET" && path.hasPrefix("/api/v2/me") && !path.hasPrefix("/api/v2/me/calls") }
}

/// Keeps every log message, for assertions.
struct RecordingLogHandler: LogHandler {
    let messages: Locked<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(_ messages: Locked<[String]>) {
        self.messages = messages
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        messages.withLock { $0.append("\(event.level): \(event.message)") }
    }
}
