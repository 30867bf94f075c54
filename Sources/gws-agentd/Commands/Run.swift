import AgentDaemon
import ArgumentParser
import Logging

extension GWSAgentd {
    /// `gws-agentd run`: the daemon.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daemon: follow the agent and keep the state file current.",
            discussion: """
                Logs in to GWS, subscribes to the agent's device and channel notifications and keeps \
                the state file up to date until SIGTERM or SIGINT. SIGHUP reloads the configuration. \
                Under systemd (Type=notify) it reports READY=1, STATUS= and watchdog pings.

                Exit status: 0 stopped on request, 69 the server refused the session, \
                77 the credentials were refused repeatedly, 78 invalid configuration.
                """)

        @OptionGroup var config: ConfigOption

        @Option(help: ArgumentHelp("SYSLOG_IDENTIFIER of journal entries.", valueName: "name"))
        var logIdentifier = "gws-agentd"

        func run() async throws {
            let options = Daemon.Options(
                configPath: config.path, identifier: logIdentifier, environment: ProcessEnvironment.current)
            let prepared: Daemon.Prepared
            switch await Daemon.prepare(options) {
            case .success(let ready): prepared = ready
            case .failure(let failure): throw ExitCode(failure.status.rawValue)
            }
            // Where log entries go is the process's choice, made once, here.
            LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, settings: prepared.logSettings) }
            let status = await Daemon.run(prepared)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
