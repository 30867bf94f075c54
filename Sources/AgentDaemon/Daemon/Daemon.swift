import AgentState
import Glibc
import Logging
import ServiceLifecycle
import Systemd
import UnixSignals

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

    /// Runs the daemon; returns the process exit status.
    public static func run(_ options: Options) async -> ExitStatus {
        // A log reader that went away must not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
        let notifier = SystemdNotifier()
        let loader = ConfigurationLoader(environment: options.environment)
        let configuration: DaemonConfiguration
        do {
            configuration = try await loader.load(explicitPath: options.configPath)
        } catch {
            LogSettings.standardError("gws-agentd: configuration error: \(error)")
            notifier.send(["STATUS": "configuration error: \(error)"])
            return .configuration
        }
        let logSettings = LogSettings(
            output: LogSettings.resolve(configuration.logFormat, environment: options.environment),
            level: configuration.logLevel, identifier: options.identifier)
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, settings: logSettings) }
        let logger = Logger(label: "gws-agentd")
        logger.info(
            "starting",
            metadata: [
                "version": "\(AgentDaemonVersion.current)", "server.url": "\(configuration.server.url)",
                "gws.username": "\(configuration.server.username)", "state.file": "\(configuration.stateFile)",
            ])
        let session = AgentSession(
            environment: .init(
                configuration: configuration, logger: logger,
                header: StateHeader(
                    generator: "gws-agentd \(AgentDaemonVersion.current)", pid: Int(getpid()),
                    invocationID: options.environment["INVOCATION_ID"], heartbeatSeconds: configuration.heartbeatSeconds),
                notifier: notifier, version: AgentDaemonVersion.current))
        let outcome = OutcomeBox()
        var services: [any Service] = [
            SessionService(session: session, notifier: notifier, status: outcome),
            ReloadService(
                loader: loader, explicitPath: options.configPath, session: session, logSettings: logSettings,
                notifier: notifier, logger: logger),
        ]
        if let timeout = SystemdNotifier.watchdogTimeout() {
            services.append(
                WatchdogService(
                    session: session, timeout: timeout, heartbeat: .seconds(configuration.heartbeatSeconds),
                    maxNetworkDelay: configuration.server.maxNetworkDelay, notifier: notifier, logger: logger))
        }
        var lifecycleLogger = logger
        lifecycleLogger.logLevel = .notice
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: lifecycleLogger))
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
}
