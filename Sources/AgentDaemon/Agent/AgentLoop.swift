import AgentState
import BayeuxClient
import BayeuxCore
import BuildVersion
import CurlTransport
import GWS
import HTTPTransport
import Logging
import Placement
import Timekeeping

/// The mutable side of an ``AgentRunner``, owned by the task running it.
///
/// Each input goes through the coordinator; the actions it returns are performed here;
/// after every input the state file, `STATUS=` and the progress stamp are brought up to date.
final class AgentLoop {
    let runner: AgentRunner
    var configuration: AgentConfiguration
    var coordinator: AgentCoordinator<ContinuousClock.Instant>
    let publisher: StatePublisher
    /// The HTTP session of the current login; a new one for every login.
    var connection: GWSConnection?
    /// The running Bayeux client and the task that runs it.
    var client: RunningClient?
    /// Counters of Bayeux clients that have ended, for cumulative metrics.
    var pastCounters = SessionCounters()
    let tasks = TaskSet()
    var flushTask: Task<Void, Never>?
    /// The agent's beats at the daemon's ticker, while the session runs.
    var heartbeat: HeartbeatTicker.Registration?
    var lastStatus: String?
    var lastSynced = false
    var lastReportedFileError: FileSystemError?
    let startTime = WallClock.now()
    var lastNotificationTime: Double?

    var logger: Logger { runner.environment.logger }
    var clock: InjectedClock { runner.environment.clock }

    /// One GWS session on one node: an HTTP client (one cookie jar) and the REST calls
    /// made over it with the password of its login.
    struct GWSConnection {
        let node: Int
        let url: String
        let http: any HTTPClient
        let rest: GWSRestClient
    }

    /// A Bayeux client of one generation and the task running it.
    struct RunningClient {
        let generation: Int
        let client: BayeuxClient<InjectedClock>
        let run: Task<Void, Never>
    }

    init(runner: AgentRunner) {
        self.runner = runner
        let environment = runner.environment
        configuration = environment.configuration
        coordinator = AgentCoordinator(
            username: configuration.username, settings: Self.settings(for: configuration), seed: environment.seed
        )
        publisher = StatePublisher(
            writer: AtomicFileWriter(path: configuration.stateFile, fileSystem: environment.fileSystem),
            header: environment.header, spacing: environment.stateWriteSpacing)
        publisher.onPublish = { [published = runner.published] in published.publish($0, written: $1) }
        rememberPreviousRun()
    }

    /// The state file a previous run left (systemd keeps the runtime directory across
    /// restarts) is the memory of since when each state has held: its starts are kept for
    /// the values the first snapshot confirms. Any file that cannot be read is ignored.
    private func rememberPreviousRun() {
        guard let bytes = try? FileInfo.read(configuration.stateFile, limit: 1 << 20),
            let previous = try? StateDocument.decode(bytes)
        else { return }
        if coordinator.remember(previous) {
            logger.debug("state starts taken from the previous run's state file")
        }
    }

    static func settings(for configuration: AgentConfiguration) -> CoordinatorSettings {
        CoordinatorSettings(
            channels: configuration.channels, servers: configuration.server.urls,
            failoverAfter: configuration.server.failoverAfter,
            startContactCenterSession: configuration.startContactCenterSession,
            backoff: configuration.server.backoff, publishCallDetails: configuration.publishCallDetails)
    }

    /// A fresh GWS session on node `node`: a new HTTP client (empty cookie jar) and REST
    /// client with the current password. `nil` when libcurl cannot allocate its handles.
    func openConnection(node: Int) -> GWSConnection? {
        let server = configuration.server
        let url = server.urls.indices.contains(node) ? server.urls[node] : server.url
        let curl = server.curlConfiguration
        guard let http = runner.environment.makeHTTPClient(curl) else { return nil }
        let rest = GWSRestClient(
            http: http, baseURL: url, username: configuration.username, password: configuration.password,
            timeout: server.maxNetworkDelay)
        return GWSConnection(node: node, url: url, http: http, rest: rest)
    }

    func run(onReady: @Sendable (FileSystemError?) -> Void) async -> AgentOutcome {
        defer { tearDown() }
        let first = publisher.writeNow(model: coordinator.model, now: clock.now)
        if case .failed(let error) = first { report(fileError: error) }
        onReady(publisher.failure)
        startHeartbeat()
        handle(.coordinator(.start))
        for await input in runner.inbox {
            if let outcome = handle(input) { return outcome }
        }
        return .stopped
    }

    /// Handles one input; returns the outcome when the session is over.
    @discardableResult
    func handle(_ input: AgentInput) -> AgentOutcome? {
        var outcome: AgentOutcome?
        // Log lines wait until the state file is written: readers first, then the journal.
        var records: [CoordinatorLog] = []
        // A reload is answered once the state file says what the new configuration makes it say.
        var reloaded: CheckedContinuation<Void, Never>?
        defer { reloaded?.resume() }
        switch input {
        case .coordinator(let event):
            if case .bayeux(let generation, .ended) = event { clientEnded(generation) }
            outcome = perform(
                coordinator.handle(event, now: clock.now, time: WallClock.timestamp()), deferringLogsTo: &records)
        case .stop:
            outcome = perform(
                coordinator.handle(.stop, now: clock.now, time: WallClock.timestamp()), deferringLogsTo: &records)
        case .flushDue:
            flushTask = nil
            apply(publisher.flush(model: coordinator.model, now: clock.now))
        case .heartbeat:
            // Nothing in the model changed: touch the file, write the metrics, no more
            // (with 1,000 agents, 100 heartbeats a second).
            let outcome = publisher.heartbeat(model: coordinator.model, now: clock.now)
            apply(outcome)
            writeMetrics()
            if outcome != .idle { updateStatus() }
            runner.progress.touch()
            return nil
        case .reload(let configuration, let done):
            reload(configuration)
            reloaded = done
        case .operate(let operation, let reply):
            guard let rest = connection?.rest else {
                reply(nil)
                return nil
            }
            TaskPlacement.task {
                do throws(RESTError) { reply(.success(try await rest.perform(operation))) } catch {
                    reply(.failure(error))
                }
            }
            return nil
        case .agentStates(let reply):
            guard let rest = connection?.rest else {
                reply(nil)
                return nil
            }
            TaskPlacement.task {
                do throws(RESTError) { reply(.success(try await rest.agentStates())) } catch { reply(.failure(error)) }
            }
            return nil
        }
        if let outcome {
            finish(outcome)
            records.forEach(log)
            return outcome
        }
        // While stopping, the final write (``finish(_:)``) says it all: one write per agent
        // at a stop, not two (10,000 agents stop at once).
        if !coordinator.isStopping { apply(publisher.update(model: coordinator.model, now: clock.now)) }
        records.forEach(log)
        updateStatus()
        runner.progress.touch()
        return nil
    }
}
