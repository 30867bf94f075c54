import AgentDaemon
import AgentOperator
import ArgumentParser

extension GWSAgentd {
    /// `gws-agentd reload`: the units' `ExecReload=`.
    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the running daemon to reload its configuration, and wait for the outcome.",
            discussion: """
                Talks to the daemon's control socket (control.sock beside the state file). The units \
                run it as ExecReload=, so `systemctl reload` waits until the new configuration is in \
                effect and fails when the daemon refuses it (the daemon then keeps the running one).

                Exit status: 0 reloaded, 1 refused (the reason is printed), 64 usage error, \
                69 no daemon answers, 77 not allowed to use the socket.
                """)

        @Option(help: ArgumentHelp("The control socket.", valueName: "path"))
        var socket: String?

        @Option(
            help: ArgumentHelp(
                "The daemon of a template instance: /run/gws-agentd@NAME/control.sock.", valueName: "name"))
        var instance: String?

        @Option(help: ArgumentHelp("Seconds to wait for the outcome.", valueName: "seconds"))
        var timeout: Double = 60

        func validate() throws {
            if socket != nil && instance != nil {
                throw ValidationError("--socket and --instance cannot be used together.")
            }
            if let instance, !RuntimeFiles.isInstanceName(instance) {
                throw ValidationError("--instance needs an instance name.")
            }
            guard timeout > 0, timeout <= 3600 else {
                throw ValidationError("--timeout must be between 0 and 3600 seconds.")
            }
        }

        func run() async throws {
            let path = RuntimeFiles.controlSocket(
                explicit: socket, instance: instance, environment: ProcessEnvironment.current)
            let status = await OperatorCommands.reload(
                socket: path, timeout: .milliseconds(Int64(timeout * 1000)), console: .standard)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
