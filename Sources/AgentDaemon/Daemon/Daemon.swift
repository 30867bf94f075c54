import AgentState
import BuildVersion
import ControlSocket
import CurlTransport
import Glibc
import JSON
import Locking
import Logging
import ServiceLifecycle
import Systemd
import Timekeeping

/// `gws-agentd run`: loads the configuration, sets up logging, and runs the session with
/// the reload and watchdog services until SIGTERM/SIGINT or a fatal error.
public enum Daemon {
    /// What `run` was given on its command line.
    public struct Options: Sendable {
        public var configPath: String?
        /// `SYSLOG_IDENTIFIER` of journal entries.
        public var identifier: String
        public var environment: [String: String]

        public init(configPath: String?, identifier: String, environment: [String: String]) {
            self.configPath = configPath
            self.identifier = identifier
            self.environment = environment
        }
    }

    /// What `run` needs once the configuration is read: the executable bootstraps swift-log
    /// with ``logSettings`` (a process-wide choice that belongs to it), then calls ``run()``.
    public struct Prepared: Sendable {
        public let options: Options
        public let configuration: DaemonConfiguration
        /// The log output and level, changed in place by a reload.
        public let logSettings: LogSettings
        let signals: AsyncStream<ControlSignal>
        let loader: ConfigurationLoader
    }

    /// Installs the signal handlers and reads the configuration. On failure it reports
    /// (standard error, `STATUS=`) and returns the exit status instead.
    public static func prepare(_ options: Options) async -> Result<Prepared, StartFailure> {
        // A log reader that went away must not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
        guard let signals = ControlSignals.install() else {
            LogSettings.standardError("gws-agentd: cannot install the signal handlers: \(FileInfo.errnoText())")
            return .failure(StartFailure(status: .failure))
        }
        let loader = ConfigurationLoader(environment: options.environment)
        let configuration: DaemonConfiguration
        do {
            configuration = try await loader.load(explicitPath: options.configPath)
        } catch {
            LogSettings.standardError("gws-agentd: configuration error: \(error)")
            SystemdNotifier().send(["STATUS": "configuration error: \(error)"])
            return .failure(StartFailure(status: .configuration))
        }
        let logSettings = LogSettings(
            output: LogSettings.resolve(configuration.logFormat, environment: options.environment),
            level: configuration.logLevel, identifier: options.identifier)
        return .success(
            Prepared(
                options: options, configuration: configuration, logSettings: logSettings, signals: signals,
                loader: loader))
    }

    /// The warning `server.allow_insecure` asks for, at start and at every reload.
    static func warnIfInsecure(_ configuration: DaemonConfiguration, logger: Logger) {
        let insecurity = configuration.server.insecurity
        guard !insecurity.isEmpty else { return }
        let reasons = insecurity.joined(separator: ", ")
        logger.warning(
            "INSECURE (server.allow_insecure): \(reasons); the password and the session can be read or taken on the network path"
        )
    }

    /// Why the daemon did not start, as the exit status to return.
    public struct StartFailure: Error, Sendable {
        public let status: ExitStatus
    }

    /// Runs the daemon (after ``prepare(_:)`` and the logging bootstrap); returns the
    /// process exit status.
    public static func run(_ prepared: Prepared) async -> ExitStatus {
        let options = prepared.options
        let configuration = prepared.configuration
        let clock = InjectedClock.executor
        let notifier = SystemdNotifier()
        let header = StateHeader(
            generator: "gws-agentd \(BuildVersion.current)", pid: Int(getpid()),
            invocationID: options.environment["INVOCATION_ID"], heartbeatSeconds: configuration.heartbeatSeconds)
        // Entries about one agent carry its name (gws.username, set by the fleet).
        let logger = Logger(label: "gws-agentd")
        logger.info(
            "starting",
            metadata: [
                "version": "\(BuildVersion.current)", "server.url": "\(configuration.server.url)",
                "state.directory": "\(configuration.stateDirectory)", "agents": "\(configuration.agents.count)",
            ])
        Self.warnIfInsecure(configuration, logger: logger)
        raiseFileLimit(logger: logger)
        // One daemon per state directory, until this process is gone (its last write included).
        let locks = StateDirectoryLocks()
        let (refusals, unavailable) = locks.acquire(StateDirectoryLocks.directories(of: configuration))
        if let refusal = refusals.first {
            logger.critical("\(refusal)", metadata: ["state.directory": "\(configuration.stateDirectory)"])
            notifier.send(["STATUS": "not started: \(refusal)"])
            return .configuration
        }
        for problem in unavailable {
            logger.warning("\(problem); state files there are not guarded against another daemon")
        }
        let fleet = AgentFleet(
            configuration: configuration,
            environment: AgentFleet.Environment(
                logger: logger, header: header, notifier: notifier, clock: clock, fileSystem: POSIXFileSystem(),
                makeHTTPClient: { CurlHTTPClient(configuration: $0) }, stateWriteSpacing: .milliseconds(10),
                seed: UInt64.random(in: .min ... .max)))
        if fleet.shards.count > 1 {
            logger.info(
                "agents sharded over \(fleet.shards.count) threads",
                metadata: ["agents.threads": "\(fleet.shards.count)"])
        }
        let reloader = Reloader(
            loader: prepared.loader, explicitPath: options.configPath, locks: locks, apply: { await fleet.reload($0) },
            logSettings: prepared.logSettings, notifier: notifier, logger: logger)
        // The control socket: `gws-agentd reload` (the units' ExecReload) and the operator
        // commands. Another live daemon on it means another daemon writes the same state files.
        let control = DaemonControl(
            configuration: configuration, reloader: reloader, fleet: fleet, logger: logger, clock: clock)
        do {
            try control.start()
        } catch .inUse(let path) {
            let holder = await Self.holder(of: path)
            let message =
                "another gws-agentd\(holder.map { " (pid \($0))" } ?? "") serves \(path), this daemon's control socket"
            logger.critical("\(message)")
            notifier.send(["STATUS": "not started: \(message)"])
            return .configuration
        } catch {
            logger.critical("\(error)", metadata: ["control.socket": "\(configuration.controlSocket)"])
            notifier.send(["STATUS": "not started: \(error)"])
            return .configuration
        }
        defer { control.stop() }
        let outcome = OutcomeBox()
        var services: [any Service] = [
            FleetService(
                fleet: fleet, notifier: notifier, metrics: MetricsWriter(fleet: fleet, clock: clock, logger: logger),
                outcome: outcome)
        ]
        if let timeout = SystemdNotifier.watchdogTimeout() {
            services.append(
                WatchdogService(
                    isHealthy: { fleet.isHealthy(now: $0) }, clock: clock, timeout: timeout, notifier: notifier,
                    logger: logger))
        }
        var lifecycleLogger = logger
        lifecycleLogger.logLevel = .notice
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: lifecycleLogger))
        // SIGTERM/SIGINT start the graceful shutdown; SIGHUP reloads (see ControlSignals).
        let signalTask = Task {
            for await signal in prepared.signals {
                switch signal {
                case .stop(let number):
                    logger.info(
                        "stopping",
                        metadata: [
                            "signal": "\(number == SIGINT ? "SIGINT" : "SIGTERM")",
                            "message_id": "\(MessageID.daemonStopping)",
                        ])
                    await group.triggerGracefulShutdown()
                case .reload:
                    await reloader.reload()
                }
            }
        }
        defer { signalTask.cancel() }
        do {
            try await group.run()
        } catch {
            if outcome.outcome == nil { logger.critical("service failed", metadata: ["error": "\(error)"]) }
        }
        switch outcome.outcome {
        case .stopped?:
            logger.info("stopped")
            return .success
        case .fatal(let reason)?:
            notifier.send(["STATUS": "failed: \(reason)"])
            return ExitStatus(reason)
        case nil:
            return .failure
        }
    }

    /// Raises the soft limit of open files to the hard limit: every agent's long poll holds
    /// a connection, and 1,024 (the usual soft limit) is too few for a daemon of many agents.
    static func raiseFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max
        else { return }
        let wanted = min(limit.rlim_max, 1 << 20)
        limit.rlim_cur = wanted
        if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) != 0 {
            logger.warning("cannot raise the open-file limit", metadata: ["error": "\(FileInfo.errnoText())"])
        }
    }

    /// The pid of the daemon that answers on `socket`, if one does.
    static func holder(of socket: String) async -> Int? {
        let answer = await ControlClient.exchange(path: socket, ControlRequest(op: "ping"), timeout: .seconds(2)) {
            line in line["pid"]?.intValue.map { Int($0) }
        }
        return try? answer.get()
    }
}
