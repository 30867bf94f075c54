import AgentDaemon
import AgentOperator
import ArgumentParser

extension GWSAgentd {
    /// `gws-agentd reload`: the units' `ExecReload=`.
    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the running daemon to reload its configuration, and wait for the outcome.",
            discussion: """
                Talks to the daemon's control socket, found as for `set`: --socket, --instance or \
                --state-file when given, else the socket --config names, the default runtime \
                directory's, or the default configuration's. The units run it as ExecReload=, so \
                `systemctl reload` waits until the new configuration is in effect and fails when the \
                daemon refuses it (the daemon then keeps the running one).

                Exit status: 0 reloaded, 1 refused (the reason is printed), 64 usage error, \
                69 no daemon answers, 77 not allowed to use the socket.
                """)

        @OptionGroup var daemon: DaemonOptions

        @Option(help: ArgumentHelp("Seconds to wait for the outcome.", valueName: "seconds"))
        var timeout: Double = 60

        func validate() throws {
            try daemon.validate()
            guard timeout > 0, timeout <= 3600 else {
                throw ValidationError("--timeout must be between 0 and 3600 seconds.")
            }
        }

        func run() async throws {
            let status = await OperatorCommands.reload(
                target: daemon.target, timeout: .milliseconds(Int64(timeout * 1000)),
                environment: ProcessEnvironment.current, console: .standard)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
