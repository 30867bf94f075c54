import AgentState
import Foundation
import Locking
import Logging
import Systemd
import Testing

@testable import AgentDaemon

/// The daemon's session layer (the loop that drives the coordinator, the REST client and
/// the Bayeux client) run in-process against a ``FakeGWS``, on time that moves only when
/// the test moves it: recovery paths are tested without waiting for real backoffs.
final class SessionHarness: Sendable {
    static let password = "pw-1"

    let gws: FakeGWS
    let time = ManualTime()
    let directory: TemporaryDirectory
    let session: AgentSession
    let configuration: DaemonConfiguration
    private let statuses = Locked<[String]>([])
    private let messages = Locked<[String]>([])
    private let running = Locked<Task<SessionOutcome, Never>?>(nil)

    var statePath: String { directory.path + "/state.json" }
    var passwordPath: String { directory.path + "/password" }

    /// - Parameters:
    ///   - nodes: the nodes of the GWS cluster, all in `server.url`.
    ///   - heartbeat: `state.heartbeat_s`; long by default, so that its timer stays out of the way.
    init(nodes: Int = 1, heartbeat: Int = 3600) throws {
        gws = FakeGWS(nodes: nodes, password: Self.password)
        directory = try TemporaryDirectory()
        try directory.write("password", Self.password + "\n")
        let password = try PasswordSource(environment: [:]).read(passwordFile: directory.path + "/password")
        configuration = DaemonConfiguration(
            server: .init(urls: gws.baseURLs, username: "agent1", password: password, maxNetworkDelay: .seconds(5)),
            stateFile: directory.path + "/state.json", heartbeatSeconds: heartbeat)
        let statuses = self.statuses
        let messages = self.messages
        let gws = self.gws
        session = AgentSession(
            environment: .init(
                configuration: configuration,
                logger: Logger(label: "session-test") { _ in RecordingLogHandler(messages) },
                header: StateHeader(
                    generator: "gws-agentd test", pid: 1, invocationID: nil, heartbeatSeconds: heartbeat),
                notifier: SystemdNotifier { text in
                    for line in text.split(separator: "\n") where line.hasPrefix("STATUS=") {
                        statuses.withLock { $0.append(String(line.dropFirst(7))) }
                    }
                },
                version: "test", seed: 42, clock: DaemonClock(manual: time),
                makeHTTPClient: { _ in gws.client() }, stateWriteSpacing: .zero))
    }

    /// Starts the session.
    func start() {
        let session = self.session
        running.withLock { $0 = Task { await session.run { _ in } } }
    }

    /// Stops the session and returns how it ended.
    func stop() async -> SessionOutcome? {
        session.stop()
        return await outcome()
    }

    /// How the session ended, once it has (within 10 s).
    func outcome(timeout: Duration = .seconds(10)) async -> SessionOutcome? {
        guard let task = running.withLock({ $0 }) else { return nil }
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            task.cancel()
        }
        defer { watchdog.cancel() }
        return await task.value
    }

    /// The state file as it is now.
    var state: StateDocument? {
        (try? Data(contentsOf: URL(fileURLWithPath: statePath))).flatMap { try? StateDocument.decode(Array($0)) }
    }

    /// Every `STATUS=` line sent, oldest first.
    var statusLines: [String] { statuses.withLock { $0 } }
    /// Every log message, oldest first.
    var logMessages: [String] { messages.withLock { $0 } }

    /// Waits (real time, at most `timeout`) until `condition` holds; records an issue
    /// naming `what` when it does not.
    @discardableResult
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                let connection = String(describing: state?.connection)
                let recent = statusLines.suffix(5).joined(separator: " | ")
                Issue.record(
                    "timed out after \(timeout) waiting for \(what); connection: \(connection); status: \(recent)",
                    sourceLocation: sourceLocation)
                return false
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    /// Waits until the state file says connected and synced (with `check` true).
    @discardableResult
    func waitForSynced(
        _ what: String = "connected and synced", sourceLocation: SourceLocation = #_sourceLocation,
        _ check: (StateDocument) -> Bool = { _ in true }
    ) async -> StateDocument? {
        var found: StateDocument?
        await waitUntil(what, sourceLocation: sourceLocation) {
            guard let document = state, document.connection.connected, document.agent.synced, check(document) else {
                return false
            }
            found = document
            return true
        }
        return found
    }

    /// Waits until nothing is in flight but parked polls and a timer is pending, then
    /// moves time to that timer. Returns how far time moved, or `nil` when `done` became
    /// true first (or nothing settled: an issue is recorded then).
    @discardableResult
    func advanceToNextTimer(
        unless done: () -> Bool = { false }, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Duration? {
        let settled = await waitUntil("a pending timer", sourceLocation: sourceLocation) {
            done()
                || (gws.inFlight == gws.parkedPolls
                    && time.deadlines.contains { time.now.duration(to: $0) < .seconds(600) })
        }
        guard settled, !done() else { return nil }
        return time.advanceToNextDeadline()
    }
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
