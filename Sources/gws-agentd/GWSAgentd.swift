import AgentDaemon
import ArgumentParser
import BuildVersion

/// `gws-agentd`: the daemon and the commands ops and scripts use around it.
struct GWSAgentd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gws-agentd",
        abstract: "Follows one Genesys agent's state and Do-Not-Disturb live, and publishes it as a JSON state file.",
        discussion: """
            Run the daemon with `gws-agentd run` (systemd starts it that way); the other commands \
            read its state file, change the agent's state, or check a configuration. See gws-agentd(8).
            """,
        version: BuildVersion.current,
        subcommands: [
            Run.self, Status.self, SetCommand.self, States.self, History.self, Hooks.self, CheckConfig.self,
            Reload.self,
        ])
}

/// `--config FILE`, shared by the commands that read the configuration.
struct ConfigOption: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "The configuration file.",
            discussion: "Default: $CONFIGURATION_DIRECTORY/config.yaml, else /etc/gws-agentd/config.yaml.",
            valueName: "file"))
    var path: String?
}
