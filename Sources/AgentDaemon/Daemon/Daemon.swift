import AgentState
import ControlSocket
import Glibc
import JSON
import Locking
import Logging
import ServiceLifecycle
import Systemd

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
        let logSettings = prepared.logSettings
        let signals = prepared.signals
        let loader = prepared.loader
        let notifier = SystemdNotifier()
        // Every entry names the agent (GWS_USERNAME), also after a reload that changes it.
        let username = Locked(configuration.server.username)
        let logger = Logger(
            label: "gws-agentd",
            metadataProvider: Logger.MetadataProvider { ["gws.username": .string(username.withLock { $0 })] })
        logger.info(
            "starting",
            metadata: [
                "version": "\(AgentDaemonVersion.current)", "server.url": "\(configuration.server.url)",
                "state.file": "\(configuration.stateFile)",
            ])
        Self.warnIfInsecure(configuration, logger: logger)
        let session = AgentSession(
            environment: .init(
                configuration: configuration, logger: logger,
                header: StateHeader(
                    generator: "gws-agentd \(AgentDaemonVersion.current)", pid: Int(getpid()),
                    invocationID: options.environment["INVOCATION_ID"], heartbeatSeconds: configuration.heartbeatSeconds
                ),
                notifier: notifier, version: AgentDaemonVersion.current))
        let outcome = OutcomeBox()
        let reloader = Reloader(
            loader: loader, explicitPath: options.configPath, session: session, logSettings: logSettings,
            notifier: notifier, logger: logger, username: username)
        // The control socket: `gws-agentd reload` (the units' ExecReload) and the operator
        // commands. Another live daemon on it means another daemon writes the same state file.
        let control = DaemonControl(configuration: configuration, reloader: reloader, session: session, logger: logger)
        do {
            try control.start()
        } catch {
            let holder = await Self.holder(of: configuration.controlSocket)
            let message =
                "another gws-agentd\(holder.map { " (pid \($0))" } ?? "") already runs for \(configuration.stateFile) (it serves \(configuration.controlSocket))"
            logger.critical("\(message)")
            notifier.send(["STATUS": "not started: \(message)"])
            return .configuration
        }
        defer { control.stop() }
        var services: [any Service] = [SessionService(session: session, notifier: notifier, status: outcome)]
        if let timeout = SystemdNotifier.watchdogTimeout() {
            services.append(
                WatchdogService(session: session, timeout: timeout, notifier: notifier, logger: logger))
        }
        var lifecycleLogger = logger
        lifecycleLogger.logLevel = .notice
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: lifecycleLogger))
        // SIGTERM/SIGINT start the graceful shutdown; SIGHUP reloads (see ControlSignals).
        let signalTask = Task {
            for await signal in signals {
                switch signal {
                case .stop(let number):
                    logger.info("stopping", metadata: ["signal": "\(number == SIGINT ? "SIGINT" : "SIGTERM")"])
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
            // The session's own failure is reported below; anything else is unexpected.
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

    /// The pid of the daemon that answers on `socket`, if one does.
    static func holder(of socket: String) async -> Int? {
        let answer = await ControlClient.exchange(path: socket, ControlRequest(op: "ping"), timeout: .seconds(2)) {
            line in line["pid"]?.intValue.map { Int($0) }
        }
        return try? answer.get()
    }
}
