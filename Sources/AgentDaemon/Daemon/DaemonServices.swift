import AgentState
import Locking
import Logging
import ServiceLifecycle
import Systemd
import Timekeeping

/// Runs the agents: `READY=1` once every agent's first state file is written, the metrics
/// file every heartbeat, and on SIGTERM/SIGINT `STOPPING=1`, then every session's clean
/// stop. Leaves how the daemon ended in ``outcome``.
struct FleetService: Service {
    let fleet: AgentFleet
    let notifier: SystemdNotifier
    let metrics: MetricsWriter
    let outcome: OutcomeBox

    func run() async throws {
        await fleet.start()
        notifier.ready(status: fleet.status.line)
        let writer = Task { await metrics.run() }
        defer { writer.cancel() }
        let ended = await withGracefulShutdownHandler {
            await fleet.run()
        } onGracefulShutdown: {
            notifier.stopping()
            fleet.stop()
        }
        outcome.set(ended)
    }
}

/// Writes the metrics of every agent to `metrics.textfile` every heartbeat, on the
/// daemon's clock; a failure is logged once, and its end once.
///
/// The file is rendered and written on a thread of its own (``OffExecutor``): adding up
/// 10,000 agents' figures took 15–25 ms, one job that held every agent's replies up.
/// Everything it reads is behind locks (each agent's metrics, the status counts, the
/// executor's statistics).
struct MetricsWriter: Sendable {
    let fleet: AgentFleet
    let clock: InjectedClock
    let logger: Logger

    func run() async {
        var failing = false
        while !Task.isCancelled {
            let configuration = fleet.currentConfiguration
            guard (try? await clock.sleep(for: .seconds(configuration.heartbeatSeconds))) != nil else { return }
            guard let path = configuration.metricsTextfile else { continue }
            do {
                try await OffExecutor.run { [fleet] () throws(FileSystemError) in
                    _ = try AtomicFileWriter(path: path).write(Array(fleet.metricsText().utf8))
                }
                if failing { logger.notice("metrics file written again", metadata: ["metrics.textfile": "\(path)"]) }
                failing = false
            } catch {
                if !failing {
                    logger.warning(
                        "cannot write the metrics file", metadata: ["metrics.textfile": "\(path)", "error": "\(error)"])
                }
                failing = true
            }
        }
    }
}

/// Re-reads the configuration (SIGHUP, or `reload` on the control socket), between
/// `RELOADING=1` and `READY=1`, one reload at a time: a reload asked for while one runs
/// joins the next one, with every other that arrived meanwhile. An invalid or missing
/// configuration is logged and the running one kept; the caller learns which.
struct Reloader: Sendable {
    let loader: ConfigurationLoader
    let explicitPath: String?
    /// The state directories this daemon owns; a reload that adds one must own it too.
    let locks: StateDirectoryLocks
    /// Puts a new configuration in effect (the fleet's reload).
    let apply: @Sendable (DaemonConfiguration) async -> Void
    let logSettings: LogSettings
    let notifier: SystemdNotifier
    let logger: Logger
    /// One reload at a time; those asked for meanwhile share the next.
    let runs = JoinedRuns<ConfigurationError?>()

    /// Reloads; returns the error that kept the running configuration, if any.
    @discardableResult
    func reload() async -> ConfigurationError? {
        await runs.run {
            notifier.reloading()
            defer { notifier.send(["READY": "1"]) }
            do throws(ConfigurationError) {
                let configuration = try await loader.load(explicitPath: explicitPath)
                let (refusals, _) = locks.acquire(StateDirectoryLocks.directories(of: configuration))
                if let refusal = refusals.first {
                    throw ConfigurationError(key: ConfigurationKey.stateDirectory.rawValue, refusal.description)
                }
                logSettings.update(
                    output: LogSettings.resolve(configuration.logFormat, environment: loader.environment),
                    level: configuration.logLevel)
                Daemon.warnIfInsecure(configuration, logger: logger)
                await apply(configuration)
                return nil
            } catch {
                logger.error(
                    "reload failed; keeping the running configuration",
                    metadata: ["config.key": "\(error.key)", "error": "\(error.problem)"])
                return error
            }
        }
    }
}

/// Pings the systemd watchdog at half its timeout, only while the daemon makes progress:
/// a stuck loop stops the pings and systemd restarts the daemon, while a GWS outage (a
/// retry loop that keeps backing off) does not.
struct WatchdogService: Service {
    /// Whether the daemon is progressing at an instant (every agent's loop).
    let isHealthy: @Sendable (ContinuousClock.Instant) -> Bool
    let clock: InjectedClock
    let timeout: Duration
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        var withheld = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // The allowances come from the configuration in effect, reloads included.
            let healthy = isHealthy(clock.now)
            if healthy {
                notifier.watchdog()
                if withheld { logger.notice("session progressing again; watchdog pings resumed") }
            } else if !withheld {
                logger.critical(
                    "session not progressing; withholding watchdog pings so that systemd restarts the daemon")
            }
            withheld = !healthy
            try? await clock.sleep(for: timeout / 2)
        }
    }
}

/// Where the fleet service leaves how the daemon ended, for its exit status.
final class OutcomeBox: Sendable {
    private let value = Locked<AgentOutcome?>(nil)
    func set(_ outcome: AgentOutcome) { value.withLock { $0 = outcome } }
    var outcome: AgentOutcome? { value.withLock { $0 } }
}
