import AgentState
import BayeuxClient
import BayeuxCore
import BuildVersion
import CurlTransport
import HTTPTransport
import Locking
import Logging
import Timekeeping

extension AgentLoop {
    /// Touches the state file and writes the metrics every `state.heartbeat_s`.
    /// The beats come from the daemon's one ``HeartbeatTicker``, as inputs of the loop.
    func startHeartbeat() {
        let ticker = runner.environment.heartbeats
        if let heartbeat { ticker.cancel(heartbeat) }
        let sink = runner.sink
        heartbeat = ticker.register(interval: .seconds(configuration.heartbeatSeconds)) { sink.yield(.heartbeat) }
    }

    /// Applies a reloaded configuration: paths and heartbeat at once, a new session only
    /// when the server settings changed.
    func reload(_ new: AgentConfiguration) {
        let old = configuration
        configuration = new
        // The watchdog judges by the configuration in effect from now on.
        runner.allowance.withLock { $0 = HealthAllowance(new) }
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
        var records: [CoordinatorLog] = []
        _ = perform(
            coordinator.handle(
                .reconfigure(Self.settings(for: new), reconnect: reconnect), now: clock.now,
                time: WallClock.timestamp()),
            deferringLogsTo: &records)
        records.forEach(log)
        writeMetrics()
        logger.info("agent reconfigured", metadata: ["reconnect": "\(reconnect)"])
    }

    /// Writes the final state and reports how the session ended. (No metrics: an ended
    /// session's runner is gone from the daemon's metrics file.)
    func finish(_ outcome: AgentOutcome) {
        if case .failed(let error) = publisher.writeNow(model: coordinator.model, now: clock.now) {
            report(fileError: error)
        }
        updateStatus()
    }

    /// Cancels everything the session started.
    func tearDown() {
        tasks.cancelAll()
        flushTask?.cancel()
        if let heartbeat { runner.environment.heartbeats.cancel(heartbeat) }
        heartbeat = nil
        client?.run.cancel()
        retireClient()
        connection?.http.shutdown()
    }

    /// Takes the metrics as they stand for the daemon's metrics file, formatted here so
    /// that the writer only adds up and concatenates.
    func writeMetrics() {
        if coordinator.model.lastNotificationAt != nil {
            lastNotificationTime = coordinator.model.lastNotificationAt.flatMap(Timestamp.parse)
        }
        let text = MetricsText(
            version: BuildVersion.current, startTime: startTime, model: coordinator.model,
            counters: pastCounters.adding(client?.client.snapshot.counters ?? .init()),
            stateFileWrites: publisher.writes, stateFileWriteFailures: publisher.writeFailures,
            stateFileLastWrite: publisher.lastWriteTime, lastNotification: lastNotificationTime,
            agent: configuration.username)
        let metrics = text.agentMetrics(formatted: runner.environment.perAgentMetrics())
        runner.metrics.withLock { $0 = metrics }
    }
}
