import AgentState
import BayeuxClient
import BayeuxCore
import CurlTransport
import GWS
import HTTPTransport
import Logging

/// The mutable side of an ``AgentSession``, owned by the task running it.
///
/// Each input goes through the coordinator; the actions it returns are performed here;
/// after every input the state file, `STATUS=` and the progress stamp are brought up to date.
final class SessionLoop {
    let session: AgentSession
    var configuration: DaemonConfiguration
    var coordinator: SessionCoordinator<ContinuousClock.Instant>
    let publisher: StatePublisher
    var connection: Connection
    var client: (generation: Int, client: BayeuxClient<ContinuousClock>)?
    /// Counters of Bayeux clients that have ended, for cumulative metrics.
    var pastCounters = SessionCounters()
    let tasks = TaskSet()
    var flushTask: Task<Void, Never>?
    var heartbeatTask: Task<Void, Never>?
    var lastStatus: String?
    var lastReportedFileError: FileSystemError?
    var metricsError: String?
    let startTime = WallClock.now()
    var lastNotificationTime: Double?

    var logger: Logger { session.environment.logger }
    var clock: ContinuousClock { ContinuousClock() }

    /// An HTTP client (one cookie jar) and the REST calls made over it, for one server setting.
    struct Connection {
        let http: CurlHTTPClient
        let rest: GWSRestClient
    }

    init(session: AgentSession) {
        self.session = session
        let environment = session.environment
        configuration = environment.configuration
        coordinator = SessionCoordinator(
            username: configuration.server.username, settings: Self.settings(for: configuration), seed: environment.seed
        )
        publisher = StatePublisher(
            writer: AtomicFileWriter(path: configuration.stateFile, fileSystem: environment.fileSystem),
            header: environment.header)
        connection = Self.connect(configuration)
    }

    static func settings(for configuration: DaemonConfiguration) -> CoordinatorSettings {
        CoordinatorSettings(
            channels: configuration.channels, startContactCenterSession: configuration.startContactCenterSession)
    }

    /// A fresh HTTP client and REST client for the configured server.
    static func connect(_ configuration: DaemonConfiguration) -> Connection {
        let server = configuration.server
        let curl = CurlConfiguration(
            tlsVerify: server.tlsVerify, caFile: server.caFile, proxy: server.proxy,
            userAgent: "gws-agentd/\(AgentDaemonVersion.current)")
        // curl_multi_init fails only when memory is exhausted; there is nothing better to do.
        guard let http = CurlHTTPClient(configuration: curl) else {
            fatalError("libcurl could not allocate its handles")
        }
        let rest = GWSRestClient(
            http: http, baseURL: server.url, username: server.username, password: server.password,
            timeout: server.maxNetworkDelay)
        return Connection(http: http, rest: rest)
    }

    func run(onReady: @Sendable (FileSystemError?) -> Void) async -> SessionOutcome {
        defer { tearDown() }
        let first = publisher.writeNow(model: coordinator.model, now: clock.now)
        if case .failed(let error) = first { report(fileError: error) }
        updateStatus()
        onReady(publisher.failure)
        startHeartbeat()
        handle(.coordinator(.start))
        for await input in session.inbox {
            if let outcome = handle(input) { return outcome }
        }
        return .stopped
    }

    /// Handles one input; returns the outcome when the session is over.
    @discardableResult
    func handle(_ input: SessionInput) -> SessionOutcome? {
        var outcome: SessionOutcome?
        // Log lines wait until the state file is written: readers first, then the journal.
        var records: [CoordinatorLog] = []
        switch input {
        case .coordinator(let event):
            outcome = perform(
                coordinator.handle(event, now: clock.now, time: WallClock.timestamp()), deferringLogsTo: &records)
        case .stop:
            outcome = perform(
                coordinator.handle(.stop, now: clock.now, time: WallClock.timestamp()), deferringLogsTo: &records)
        case .flushDue:
            flushTask = nil
            apply(publisher.flush(model: coordinator.model, now: clock.now))
        case .heartbeat:
            apply(publisher.heartbeat(model: coordinator.model, now: clock.now))
            writeMetrics()
        case .reload(let configuration, let done):
            reload(configuration)
            done.resume()
        }
        if let outcome {
            finish(outcome)
            records.forEach(log)
            return outcome
        }
        apply(publisher.update(model: coordinator.model, now: clock.now))
        records.forEach(log)
        updateStatus()
        session.progress.touch()
        return nil
    }
}
