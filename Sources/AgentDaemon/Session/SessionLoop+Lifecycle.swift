import AgentState
import BayeuxClient
import BayeuxCore
import CurlTransport
import HTTPTransport
import Locking
import Logging

extension SessionLoop {
    /// Touches the state file and writes the metrics every `state.heartbeat_s`.
    func startHeartbeat() {
        heartbeatTask?.cancel()
        let interval = Duration.seconds(configuration.heartbeatSeconds)
        let sink = session.sink
        let clock = self.clock
        heartbeatTask = Task {
            while !Task.isCancelled {
                try? await clock.sleep(for: interval)
                if Task.isCancelled { return }
                sink.yield(.heartbeat)
            }
        }
    }

    /// Applies a reloaded configuration: paths and heartbeat at once, a new session only
    /// when the server settings changed.
    func reload(_ new: DaemonConfiguration) {
        let old = configuration
        configuration = new
        // The watchdog judges by the configuration in effect from now on.
        session.allowance.withLock { $0 = HealthAllowance(new) }
        let reconnect = new.needsReconnect(from: old)
        if new.stateFile != old.stateFile {
            logger.notice("state file moved", metadata: ["state.file": "\(new.stateFile)"])
            apply(publisher.move(to: new.stateFile, model: coordinator.model, now: clock.now))
        }
        if new.heartbeatSeconds != old.heartbeatSeconds {
            // Readers judge staleness by the file's heartbeat_s: it must say the new period.
            publisher.header.heartbeatSeconds = new.heartbeatSeconds
            apply(publisher.writeNow(model: coordinator.model, now: clock.now))
            startHeartbeat()
        }
        if new.metricsTextfile != old.metricsTextfile, let old = old.metricsTextfile {
            AtomicFileWriter(path: old).remove()
        }
        var records: [CoordinatorLog] = []
        _ = perform(
            coordinator.handle(
                .reconfigure(Self.settings(for: new), reconnect: reconnect), now: clock.now,
                time: WallClock.timestamp()),
            deferringLogsTo: &records)
        records.forEach(log)
        writeMetrics()
        logger.info("configuration reloaded", metadata: ["reconnect": "\(reconnect)"])
    }

    /// Writes the final state and metrics, and reports how the session ended.
    func finish(_ outcome: SessionOutcome) {
        if case .failed(let error) = publisher.writeNow(model: coordinator.model, now: clock.now) {
            report(fileError: error)
        }
        writeMetrics()
        updateStatus()
    }

    /// Cancels everything the session started.
    func tearDown() {
        tasks.cancelAll()
        flushTask?.cancel()
        heartbeatTask?.cancel()
        client?.run.cancel()
        retireClient()
        connection?.http.shutdown()
    }

    /// Writes the node_exporter textfile, when configured.
    func writeMetrics() {
        guard configuration.metricsTextfile != nil || session.environment.collectsMetrics else { return }
        if coordinator.model.lastNotificationAt != nil {
            lastNotificationTime = coordinator.model.lastNotificationAt.flatMap(Timestamp.parse)
        }
        let text = MetricsText(
            version: AgentDaemonVersion.current, startTime: startTime, model: coordinator.model,
            counters: pastCounters.adding(client?.client.snapshot.counters ?? .init()),
            stateFileWrites: publisher.writes, stateFileWriteFailures: publisher.writeFailures,
            stateFileLastWrite: publisher.lastWriteTime, lastNotification: lastNotificationTime,
            agent: configuration.server.username)
        session.metrics.withLock { $0 = text }
        guard let path = configuration.metricsTextfile else { return }
        var single = text
        single.agent = nil
        do {
            try AtomicFileWriter(path: path, fileSystem: session.environment.fileSystem).write(
                Array(single.render().utf8))
            if metricsError != nil {
                logger.notice("metrics file written again", metadata: ["metrics.textfile": "\(path)"])
                metricsError = nil
            }
        } catch {
            if metricsError != error.description {
                logger.warning(
                    "cannot write the metrics file", metadata: ["metrics.textfile": "\(path)", "error": "\(error)"])
                metricsError = error.description
            }
        }
    }
}

/// Child tasks the session started (REST calls, timers, Bayeux forwarders), so that
/// they can all be cancelled at the end. Each task removes itself when it finishes, so
/// the set holds only what is in flight, however long the daemon runs.
final class TaskSet: Sendable {
    private struct State {
        var next = 0
        var tasks: [Int: Task<Void, Never>] = [:]
    }

    private let state = Locked(State())

    /// Starts `work` as a new task.
    func add(_ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let id = state.next
            state.next += 1
            // The task cannot remove itself before it is inserted: removal takes this lock.
            state.tasks[id] = Task { [weak self] in
                await work()
                self?.remove(id)
            }
        }
    }

    private func remove(_ id: Int) {
        _ = state.withLock { $0.tasks.removeValue(forKey: id) }
    }

    /// How many tasks are in flight.
    var count: Int { state.withLock { $0.tasks.count } }

    func cancelAll() {
        let tasks = state.withLock { state in
            defer { state.tasks = [:] }
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
    }
}

/// The version the daemon reports (`--version`, the state file's `generator`, metrics).
public enum AgentDaemonVersion {
    public static let current = "0.2.0"
}
