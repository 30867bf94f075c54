import AgentDaemon
import ControlSocket
import JSON

extension OperatorCommands {
    /// `gws-agentd reload`: asks the running daemon, over its control socket, to reload
    /// its configuration and waits for the outcome. It is the units' `ExecReload=`, so a
    /// reload that the daemon refuses fails the `systemctl reload` job, and the job ends
    /// only once the new configuration is in effect.
    public static func reload(socket: String, timeout: Duration, console: Console) async -> ExitStatus {
        let outcome = await ControlClient.exchange(
            path: socket, ControlRequest(id: "reload", op: "reload"), timeout: timeout
        ) {
            line -> JSONValue? in line["ok"] != nil ? line : nil
        }
        switch outcome {
        case .success(let reply) where reply["ok"] == true:
            console.out("reloaded")
            return .success
        case .success(let reply):
            let message = reply["error"]?["message"]?.stringValue ?? "no reason given"
            console.error("gws-agentd: reload refused; the daemon keeps its running configuration: \(message)")
            return .failure
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
