import AgentDaemon
import AgentState
import ControlSocket
import CurlTransport
import JSON

/// `check-config --online` for a daemon that follows several agents (`agents.*`).
extension OperatorCommands {
    /// Through the running daemon: every agent's state document, by `snapshot` with its
    /// name. 0 when all are connected, 69 otherwise (naming the first few that are not).
    static func checkOnlineAgents(socket path: String, console: Console) async -> ExitStatus {
        let ping = await ControlClient.exchange(
            path: path, ControlRequest(id: "ping", op: "ping"), timeout: .seconds(10)
        ) {
            line -> JSONValue? in line["ok"] != nil ? line : nil
        }
        guard case .success(let reply) = ping, let names = reply["agents"]?.arrayValue?.compactMap(\.stringValue) else {
            return await checkOnline(socket: path, console: console)
        }
        var problems: [String] = []
        for name in names {
            let answer = await ControlClient.exchange(
                path: path, ControlRequest(id: "snapshot", op: "snapshot", arguments: ["agent": .string(name)]),
                timeout: .seconds(10)
            ) { line -> JSONValue? in line["ok"] != nil ? line : nil }
            guard case .success(let line) = answer, let state = line["state"],
                let document = try? StateDocument.decode(JSONWriter.bytes(state))
            else {
                problems.append("\(name): no state document yet")
                continue
            }
            if !document.connection.connected {
                problems.append(
                    "\(name): \(document.connection.state.rawValue)"
                        + (document.connection.lastError.map { ": \($0.message)" } ?? ""))
            }
        }
        let pid = reply["pid"]?.intValue.map { " (pid \($0))" } ?? ""
        if problems.isEmpty {
            console.out(
                "GWS accepted the credentials: the running daemon\(pid) follows \(names.count) agents, all connected")
            return .success
        }
        console.error(
            "gws-agentd: the running daemon\(pid) follows \(names.count) agents; \(problems.count) not connected")
        for problem in problems.prefix(10) { console.error("  \(problem)") }
        if problems.count > 10 { console.error("  and \(problems.count - 10) more") }
        return .unavailable
    }

    /// With logins of its own: each agent's `GET /api/v2/me`, one after another. 0 when GWS
    /// accepts every agent, 78 when it refuses one, else the first failure's status.
    static func checkAgentsOwnLogin(_ configuration: DaemonConfiguration, console: Console) async -> ExitStatus {
        let agents = configuration.roster?.agents ?? []
        var refused: [String] = []
        var worst: ExitStatus = .success
        for agent in agents {
            let single = configuration.configuration(for: agent)
            guard let (http, rest) = connect(single) else { return .failure }
            defer { http.shutdown() }
            do {
                _ = try await rest.fetchSnapshot()
            } catch .unauthorized {
                refused.append(agent.username)
            } catch {
                console.error("gws-agentd: \(agent.username): \(error.explanation)")
                if worst == .success { worst = error.exitStatus == .noPermission ? .configuration : error.exitStatus }
            }
        }
        if !refused.isEmpty {
            console.error(
                "gws-agentd: GWS refused the credentials of \(refused.count) agent(s): "
                    + refused.prefix(10).joined(separator: ", ") + (refused.count > 10 ? ", …" : ""))
            return .configuration
        }
        if worst == .success { console.out("GWS accepted the credentials of all \(agents.count) agents") }
        return worst
    }
}
