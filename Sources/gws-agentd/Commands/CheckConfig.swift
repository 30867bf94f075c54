import AgentDaemon
import AgentOperator
import ArgumentParser

extension GWSAgentd {
    /// `gws-agentd check-config`.
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate the configuration and the credentials' readability.",
            discussion: """
                Exit status: 0 valid, 78 invalid (the message names the key). With --online it also \
                checks that GWS accepts the credentials: through the running daemon when one answers \
                on the configuration's control socket (the password may then be one only the service \
                can read), else with GET /api/v2/me of its own. 69 when GWS cannot be reached (the \
                message names the cause), 77 when not allowed to use the socket, 78 when GWS refuses \
                the credentials.
                """)

        @Flag(help: "Also log in to GWS with the configured credentials.")
        var online = false

        @Flag(help: "With --online: say whether the check went through the running daemon.")
        var verbose = false

        @OptionGroup var config: ConfigOption

        func run() async throws {
            let status = await OperatorCommands.checkConfig(
                path: config.path, environment: ProcessEnvironment.current, online: online, verbose: verbose,
                console: .standard)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
