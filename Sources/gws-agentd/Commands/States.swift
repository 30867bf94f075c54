import AgentDaemon
import AgentOperator
import ArgumentParser

extension GWSAgentd {
    /// `gws-agentd states`: the operations GWS offers this agent.
    struct States: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the agent-state operations GWS offers (GET /api/v2/settings/agent-states).",
            discussion: "Any listed operation can be sent with `gws-agentd set --operation NAME`.")

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        @OptionGroup var config: ConfigOption

        func run() async throws {
            guard
                let configuration = await OperatorCommands.loadConfiguration(
                    path: config.path, environment: ProcessEnvironment.current, console: .standard)
            else { throw ExitCode(ExitStatus.configuration.rawValue) }
            let status = await OperatorCommands.states(configuration: configuration, json: json, console: .standard)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
