import AgentDaemon
import ControlSocket
import CurlTransport
import GWS
import JSON

/// `gws-agentd states`: the agent-state operations GWS offers
/// (`GET /api/v2/settings/agent-states`), through the running daemon or with a login of
/// its own.
extension OperatorCommands {
    /// Finds the route for `target` and lists the operations there.
    public static func states(
        target: DaemonTarget, json: Bool, environment: [String: String], console: Console
    ) async -> ExitStatus {
        switch await OperatorRoute.find(target, environment: environment, console: console) {
        case .failure(let failure): return failure.status
        case .success(.daemon(let socket, let agent)):
            return await states(socket: socket, agent: agent, json: json, console: console)
        case .success(.ownLogin(let agent)):
            return await states(agent: agent, json: json, console: console)
        }
    }

    /// `states` with a login of its own as `agent`.
    static func states(agent: AgentConfiguration, json: Bool, console: Console) async -> ExitStatus {
        guard let (http, rest) = connect(agent) else { return .failure }
        defer { http.shutdown() }
        do {
            printStates(try await rest.agentStates(), json: json, console: console)
            return .success
        } catch {
            console.error("gws-agentd: \(error.explanation)")
            return error.exitStatus
        }
    }

    /// `states` over the socket at `path`.
    static func states(socket path: String, agent: String?, json: Bool, console: Console) async -> ExitStatus {
        let request = ControlRequest(id: "states", op: "states", arguments: agent.map { ["agent": .string($0)] } ?? [:])
        switch await ask(socket: path, request, timeout: .seconds(30)) {
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
            return refusal(reply, console: console)
        }
    }

    /// The operations as a table, or as a JSON array.
    static func printStates(_ settings: [AgentStateSetting], json: Bool, console: Console) {
        if json {
            console.out(JSONWriter.string(.array(settings.map(\.json))))
            return
        }
        let rows =
            [["OPERATION", "STATE", "WORK MODE", "REASON", "DISPLAY NAME"]]
            + settings.map {
                [$0.operationName, $0.state ?? "-", $0.workMode ?? "-", $0.reason ?? "-", $0.displayName ?? "-"]
            }
        for line in table(rows) { console.out(line) }
    }
}
