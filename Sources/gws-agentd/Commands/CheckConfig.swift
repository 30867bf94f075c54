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
                checks that GWS answers GET /api/v2/me with these credentials: 69 when the server \
                cannot be reached, 78 when it refuses the credentials.
                """)

        @Flag(help: "Also log in to GWS with the configured credentials.")
        var online = false

        @OptionGroup var config: ConfigOption

        func run() async throws {
            let status = await OperatorCommands.checkConfig(
                path: config.path, environment: ProcessEnvironment.current, online: online, console: .standard)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
