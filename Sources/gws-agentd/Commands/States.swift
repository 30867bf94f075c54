import AgentDaemon
import AgentOperator
import ArgumentParser

extension GWSAgentd {
    /// `gws-agentd states`: the operations GWS offers this agent.
    struct States: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the agent-state operations GWS offers (GET /api/v2/settings/agent-states).",
            discussion: """
                Any listed operation can be sent with `gws-agentd set --operation NAME`. Goes through \
                the running daemon when one answers on its control socket (no password needed), else \
                logs in with the configuration.

                Exit status: 0 listed, 1 refused, 69 GWS or the daemon unreachable, 77 not allowed to \
                use the socket or credentials refused, 64 no such agent, 78 configuration error.
                """)

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        @OptionGroup var daemon: DaemonOptions

        func validate() throws { try daemon.validate() }

        func run() async throws {
            let status = await OperatorCommands.states(
                target: daemon.target, json: json, environment: ProcessEnvironment.current, console: .standard)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
