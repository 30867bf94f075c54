import AgentDaemon
import AgentOperator
import ArgumentParser

/// Where an operator command finds the running daemon, and `--verbose`.
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The running daemon's control socket.", valueName: "path"))
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "The daemon of a template instance: /run/gws-agentd@NAME/control.sock.", valueName: "name"))
    var instance: String?

    @Option(help: ArgumentHelp("The running daemon's state file: its socket is beside it.", valueName: "path"))
    var stateFile: String?

    @Option(
        help: ArgumentHelp(
            "The agent, when the daemon follows several (agents.* in the configuration).", valueName: "username"))
    var agent: String?

    @Flag(help: "Say whether the command went through the running daemon or logged in itself.")
    var verbose = false

    func validate() throws {
        if [socket, instance, stateFile].compactMap({ $0 }).count > 1 {
            throw ValidationError("Give at most one of --socket, --instance and --state-file.")
        }
        if let instance, !RuntimeFiles.isInstanceName(instance) {
            throw ValidationError("--instance needs an instance name.")
        }
    }

    /// The way a command reached GWS.
    enum Way {
        /// Through the daemon on this socket.
        case socket(String)
        /// With a login of its own, using this configuration.
        case configuration(DaemonConfiguration)
    }

    /// Runs `body` through the running daemon when one answers (on the socket these options
    /// name, else on the configuration's), else with the configuration; returns its status.
    func route(config: ConfigOption, _ body: (Way) async -> ExitStatus) async -> ExitStatus {
        let environment = ProcessEnvironment.current
        let path = RuntimeFiles.controlSocket(
            explicit: socket, instance: instance, stateFile: stateFile, environment: environment)
        var route = DaemonRoute.find(socket: path)
        var configuration: DaemonConfiguration?
        if case .ownLogin = route {
            guard
                let loaded = await OperatorCommands.loadConfiguration(
                    path: config.path, environment: environment, console: .standard)
            else { return .configuration }
            configuration = loaded
            // A daemon run by hand serves the socket its configuration names.
            if loaded.controlSocket != path, socket == nil, instance == nil, stateFile == nil {
                let other = DaemonRoute.find(socket: loaded.controlSocket)
                if case .ownLogin = other {} else { route = other }
            }
        }
        if verbose { Console.standard.error("gws-agentd: \(route.explanation)") }
        switch route {
        case .socket(let path): return await body(.socket(path))
        case .refused(let path):
            Console.standard.error("gws-agentd: \(DaemonRoute.refusal(path))")
            return .noPermission
        case .ownLogin:
            guard var configuration else { return .configuration }
            if let roster = configuration.roster {
                guard let agent, let entry = roster.agents.first(where: { $0.username == agent }) else {
                    Console.standard.error(
                        "gws-agentd: the configuration lists \(roster.agents.count) agents: name one of them with --agent"
                    )
                    return .configuration
                }
                configuration = configuration.configuration(for: entry)
            }
            return await body(.configuration(configuration))
        }
    }
}
