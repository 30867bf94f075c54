import AgentDaemon
import ControlSocket
import JSON

extension OperatorCommands {
    /// `gws-agentd reload`: asks the running daemon, over its control socket, to reload
    /// its configuration and waits for the outcome. It is the units' `ExecReload=`, so a
    /// reload that the daemon refuses fails the `systemctl reload` job, and the job ends
    /// only once the new configuration is in effect. The socket is found as for `set`.
    public static func reload(
        target: DaemonTarget, timeout: Duration, environment: [String: String], console: Console
    ) async -> ExitStatus {
        guard target.agent == nil else {
            console.error("gws-agentd: reload applies to the whole daemon: leave out --agent")
            return .usage
        }
        let configurations = ConfigurationCache(path: target.configPath, environment: environment)
        let sockets = await OperatorRoute.candidateSockets(
            target, environment: environment, configurations: configurations)
        guard let socket = sockets.first(where: { DaemonRoute.find(socket: $0).daemonRuns }) else {
            console.error("gws-agentd: no daemon answers on \(sockets.joined(separator: " or "))")
            return .unavailable
        }
        if target.verbose { console.error("gws-agentd: \(DaemonRoute.socket(socket).explanation)") }
        switch await ask(socket: socket, ControlRequest(id: "reload", op: "reload"), timeout: timeout) {
        case .success(let reply) where reply["ok"] == true:
            console.out("reloaded")
            return .success
        case .success(let reply):
            let message = reply["error"]?["message"]?.stringValue ?? "no reason given"
            console.error("gws-agentd: reload refused; the daemon keeps its running configuration: \(message)")
            let forbidden = reply["error"]?["code"]?.stringValue == ControlError.Code.forbidden.rawValue
            return forbidden ? .noPermission : .failure
        case .failure(let error):
            console.error("gws-agentd: \(error)")
            return error.exitStatus
        }
    }
}

extension ControlSocketError {
    /// The exit status of a command that could not talk to the daemon.
    public var exitStatus: ExitStatus {
        switch self {
        case .permissionDenied: return .noPermission
        default: return .unavailable
        }
    }
}
