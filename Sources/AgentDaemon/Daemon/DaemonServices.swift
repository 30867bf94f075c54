import AgentState
import Locking
import Logging
import ServiceLifecycle
import Systemd

/// Runs the session; SIGTERM/SIGINT (graceful shutdown) sends `STOPPING=1` and stops it.
struct SessionService: Service {
    let session: AgentSession
    let notifier: SystemdNotifier
    let status: OutcomeBox

    func run() async throws {
        let outcome = await withGracefulShutdownHandler {
            await session.run { fileError in
                notifier.ready(status: fileError.map { "starting; state file not written: \($0)" } ?? "starting")
            }
        } onGracefulShutdown: {
            notifier.stopping()
            session.stop()
        }
        status.set(outcome)
        if case .fatal(let reason) = outcome { throw SessionFailure(reason: reason) }
    }
}

/// The session gave up.
struct SessionFailure: Error, CustomStringConvertible {
    let reason: FatalReason
    var description: String { reason.description }
}

/// Re-reads the configuration (SIGHUP, or `reload` on the control socket), between
/// `RELOADING=1` and `READY=1`. An invalid or missing configuration is logged and the
/// running one kept; the caller learns which.
struct Reloader: Sendable {
    let loader: ConfigurationLoader
    let explicitPath: String?
    /// Puts a new configuration in effect (the session's or the fleet's reload).
    let apply: @Sendable (DaemonConfiguration) async -> Void
    let logSettings: LogSettings
    let notifier: SystemdNotifier
    let logger: Logger
    /// The agent every log entry names (one agent only: a fleet's agents name their own).
    let username: Locked<String>?
    /// Whether the daemon started with `agents.*` (several agents); a reload cannot switch.
    let severalAgents: Bool

    /// Reloads; returns the error that kept the running configuration, if any.
    @discardableResult
    func reload() async -> ConfigurationError? {
        notifier.reloading()
        defer { notifier.send(["READY": "1"]) }
        do throws(ConfigurationError) {
            let configuration = try await loader.load(explicitPath: explicitPath)
            guard (configuration.roster != nil) == severalAgents else {
                throw ConfigurationError(
                    key: severalAgents ? "agents" : "server.username",
                    "switching between one agent and several agents needs a restart (systemctl restart)")
            }
            logSettings.update(
                output: LogSettings.resolve(configuration.logFormat, environment: loader.environment),
                level: configuration.logLevel)
            username?.withLock { $0 = configuration.server.username }
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

/// Pings the systemd watchdog at half its timeout, only while the session makes progress:
/// a stuck loop stops the pings and systemd restarts the daemon, while a GWS outage
/// (a retry loop that keeps backing off) does not.
struct WatchdogService: Service {
    /// Whether the daemon is progressing at an instant (the session's, or every agent's loop).
    let isHealthy: @Sendable (ContinuousClock.Instant) -> Bool
    let clock: DaemonClock
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

/// Where the session service leaves its outcome for the daemon's exit status.
final class OutcomeBox: Sendable {
    private let value = Locked<SessionOutcome?>(nil)
    func set(_ outcome: SessionOutcome) { value.withLock { $0 = outcome } }
    var outcome: SessionOutcome? { value.withLock { $0 } }
}

/// Runs the sessions of a daemon that follows several agents: `READY=1` once every agent's
/// first state file is written, the metrics file for all agents every heartbeat, and
/// `STOPPING=1` then every session's clean stop on SIGTERM/SIGINT.
struct FleetService: Service {
    let fleet: AgentFleet
    let configuration: @Sendable () -> DaemonConfiguration
    let notifier: SystemdNotifier
    let logger: Logger
    let status: OutcomeBox

    func run() async throws {
        await fleet.start()
        notifier.ready(status: fleet.status.line)
        let metrics = Task {
            var failing = false
            while !Task.isCancelled {
                let configuration = configuration()
                try? await DaemonClock.continuous.sleep(for: .seconds(configuration.heartbeatSeconds))
                guard let path = configuration.metricsTextfile, !Task.isCancelled else { continue }
                do {
                    try AtomicFileWriter(path: path).write(Array(fleet.metricsText().utf8))
                    failing = false
                } catch {
                    if !failing {
                        logger.warning(
                            "cannot write the metrics file",
                            metadata: ["metrics.textfile": "\(path)", "error": "\(error)"])
                    }
                    failing = true
                }
            }
        }
        defer { metrics.cancel() }
        await withGracefulShutdownHandler {
            await fleet.run()
        } onGracefulShutdown: {
            notifier.stopping()
            fleet.stop()
        }
        // One agent's session giving up never ends the daemon: it stops only when asked.
        status.set(.stopped)
    }
}
