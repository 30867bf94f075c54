import AgentDaemon
import AgentOperator
import ArgumentParser

extension GWSAgentd {
    /// `gws-agentd status`: for people, scripts and monitoring.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the agent's state from the daemon's state file.",
            discussion: """
                Without flags, prints a summary: the agent's state, work mode and DND, each device and \
                channel, the connection and since when, and the file's age. --json prints the file \
                itself. --watch prints each change as it happens (inotify on the directory, as \
                systemd's own monitors do; it follows the daemon across restarts); with --json, one \
                state document per line (JSON lines), and {"removed":true,…} when the file goes.

                Exit status (monitoring-plugin convention, usable as a Nagios or Icinga check): \
                0 connected and synced, 1 not connected or not synced, 2 stale (mtime older than \
                3 × heartbeat) or written by a process that is gone, 3 missing or unreadable; 64 an \
                agent the configuration does not name.

                The file: --state-file, else the agents of --config, else state.json in the \
                instance's or the default runtime directory. A daemon that follows several agents \
                writes <username>.json per agent: status then prints one line per agent and exits \
                with the worst verdict; --agent NAME shows one agent as above.
                """)

        @OptionGroup var daemon: DaemonOptions

        @Option(
            help: ArgumentHelp(
                "The state directory of a daemon that follows several agents.",
                discussion: "Default: the directory of the default state file, when it holds no state.json.",
                valueName: "path"))
        var stateDirectory: String?

        @Flag(help: "Print the state file itself.")
        var json = false

        @Flag(help: "Print each change as it happens, until interrupted.")
        var watch = false

        func validate() throws {
            try daemon.validate()
            if daemon.stateFile != nil && (daemon.agent != nil || stateDirectory != nil) {
                throw ValidationError("--state-file names one agent's file: leave out --agent and --state-directory.")
            }
        }

        func run() async throws {
            let status = await OperatorCommands.status(
                target: daemon.target,
                OperatorCommands.StatusRequest(stateDirectory: stateDirectory, json: json, watch: watch),
                environment: ProcessEnvironment.current, console: .standard)
            if status != 0 { throw ExitCode(status) }
        }
    }
}
