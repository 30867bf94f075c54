import AgentOperator
import ArgumentParser

/// The options `set`, `states`, `status` and `reload` share: which daemon (its
/// configuration, socket, instance or state file) and which of its agents.
struct DaemonOptions: ParsableArguments {
    @OptionGroup var config: ConfigOption

    @Option(help: ArgumentHelp("The running daemon's control socket.", valueName: "path"))
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "The daemon of a template instance: /run/gws-agentd@NAME/ (its control.sock and state files).",
            valueName: "name"))
    var instance: String?

    @Option(help: ArgumentHelp("A state file of the running daemon: its socket is beside it.", valueName: "path"))
    var stateFile: String?

    @Option(
        help: ArgumentHelp(
            "The agent, when the daemon follows several; an agent it does not follow is refused with the list.",
            valueName: "username"))
    var agent: String?

    @Flag(help: "Say whether the command went through the running daemon or logged in itself.")
    var verbose = false

    func validate() throws {
        if let problem = target.problem { throw ValidationError(problem) }
    }

    /// What the options say, for the operator commands.
    var target: DaemonTarget {
        DaemonTarget(
            socket: socket, instance: instance, stateFile: stateFile, configPath: config.path, agent: agent,
            verbose: verbose)
    }
}
