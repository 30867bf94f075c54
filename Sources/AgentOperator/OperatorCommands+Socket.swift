import AgentDaemon
import AgentState
import ControlSocket
import GWS
import JSON

/// `set` and `states` through the running daemon's control socket
/// (`docs/control-socket.md`): no password needed, and `set --wait` is answered by the
/// daemon when its own notification stream confirms the change.
extension OperatorCommands {
    /// `set` over the socket at `path`. Exit statuses as for the direct path.
    public static func set(
        _ request: OperationRequest, socket path: String, agent: String? = nil, wait: Duration?, console: Console
    ) async -> ExitStatus {
        var arguments: JSONObject = ["operation": .string(request.operation.name)]
        if let agent { arguments["agent"] = .string(agent) }
        switch request.operation.scope {
        case .all: break
        case .channel(let name): arguments["channel"] = .string(name)
        case .device(let id): arguments["device"] = .string(id)
        }
        if let wait {
            arguments["wait_s"] = .double(Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
        }
        let target = "\(request.operation.name) on \(request.operation.scope)"
        let outcome = await ControlClient.exchange(
            path: path, ControlRequest(id: "set", op: "set", arguments: arguments),
            timeout: (wait ?? .zero) + .seconds(30)
        ) { line -> JSONValue? in line["ok"] != nil ? line : nil }
        switch outcome {
        case .failure(let error):
            console.error("gws-agentd: \(error)")
            return error.exitStatus
        case .success(let reply) where reply["ok"] == true:
            console.out("accepted: \(target)")
            if let partial = reply["partial"]?.stringValue {
                console.error("gws-agentd: GWS accepted only part of the request: \(partial)")
            }
            if let state = reply["state"], let document = try? StateDocument.decode(JSONWriter.bytes(state)) {
                printConfirmed(document.agent, source: "by the daemon's notifications", console: console)
            }
            return .success
        case .success(let reply):
            let code = reply["error"]?["code"]?.stringValue ?? ""
            let message = reply["error"]?["message"]?.stringValue ?? "no reason given"
            console.error("gws-agentd: \(target): \(message)")
            switch ControlError.Code(rawValue: code) {
            case .timeout?: return .notConfirmed
            case .unavailable?: return .unavailable
            default: return .failure
            }
        }
    }

    /// `states` over the socket at `path`.
    public static func states(
        socket path: String, agent: String? = nil, json: Bool, console: Console
    ) async
        -> ExitStatus
    {
        let outcome = await ControlClient.exchange(
            path: path,
            ControlRequest(id: "states", op: "states", arguments: agent.map { ["agent": .string($0)] } ?? [:]),
            timeout: .seconds(30)
        ) { line -> JSONValue? in line["ok"] != nil ? line : nil }
        switch outcome {
        case .failure(let error):
            console.error("gws-agentd: \(error)")
            return error.exitStatus
        case .success(let reply) where reply["ok"] == true:
            let settings = (reply["states"]?.arrayValue ?? []).map { value in
                AgentStateSetting(
                    operationName: value["operation"]?.stringValue ?? "", state: value["state"]?.stringValue,
                    workMode: value["work_mode"]?.stringValue, reason: value["reason"]?.stringValue,
                    displayName: value["display_name"]?.stringValue)
            }
            printStates(settings, json: json, console: console)
            return .success
        case .success(let reply):
            console.error("gws-agentd: \(reply["error"]?["message"]?.stringValue ?? "no reason given")")
            return reply["error"]?["code"]?.stringValue == ControlError.Code.unavailable.rawValue
                ? .unavailable : .failure
        }
    }

    /// `check-config --online` when a daemon runs: what its state file says about its
    /// GWS session. 0 connected, 69 not (with the daemon's last error).
    public static func checkOnline(socket path: String, console: Console) async -> ExitStatus {
        let outcome = await ControlClient.exchange(
            path: path, ControlRequest(id: "snapshot", op: "snapshot"), timeout: .seconds(10)
        ) { line -> JSONValue? in line["ok"] != nil ? line : nil }
        guard case .success(let reply) = outcome, let state = reply["state"],
            let document = try? StateDocument.decode(JSONWriter.bytes(state))
        else {
            console.error("gws-agentd: the running daemon on \(path) did not answer with its state")
            return .unavailable
        }
        let connection = document.connection
        if connection.connected {
            console.out(
                "GWS accepted the credentials: the running daemon (pid \(document.pid)) is connected as "
                    + "\(document.agent.username), \(document.agent.devices.count) device(s), "
                    + "\(document.agent.channels.count) channel(s)")
            return .success
        }
        console.error(
            "gws-agentd: the running daemon (pid \(document.pid)) is \(connection.state.rawValue)"
                + (connection.lastError.map { ": \($0.message)" } ?? ""))
        return .unavailable
    }
}
