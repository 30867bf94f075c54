import AgentDaemon
import AgentState
import ControlSocket
import CurlTransport
import GWS
import JSON
import Logging

/// `gws-agentd check-config`: what the configuration says; with `--online`, whether GWS
/// accepts every agent's credentials (through the running daemon when one answers).
extension OperatorCommands {
    /// Prints what the configuration says; with `online`, checks that GWS accepts the credentials.
    public static func checkConfig(
        path: String?, environment: [String: String], online: Bool, verbose: Bool = false, console: Console
    ) async -> ExitStatus {
        var loader = ConfigurationLoader(environment: asUnits(environment))
        // Online, a running daemon can vouch for passwords this user cannot read.
        loader.passwordOptional = online
        let configuration: DaemonConfiguration
        do {
            configuration = try await loader.load(explicitPath: path)
        } catch {
            console.error("gws-agentd: configuration error: \(error)")
            return .configuration
        }
        describe(configuration, path: loader.path(explicit: path), console: console)
        guard online else { return .success }
        let route = DaemonRoute.find(socket: configuration.controlSocket)
        if verbose { console.error("gws-agentd: \(route.explanation)") }
        let unreadable = configuration.agents.filter { !$0.password.isReadable }
        switch route {
        case .socket(let socket):
            return await checkThroughDaemon(socket: socket, console: console)
        case .refused(let socket) where !unreadable.isEmpty:
            console.error("gws-agentd: \(DaemonRoute.refusal(socket))")
            return .noPermission
        case .ownLogin, .refused:
            if let first = unreadable.first {
                console.error(
                    "gws-agentd: configuration error: no password readable here for \(first.username), and no daemon "
                        + "answers on \(configuration.controlSocket): \(first.password.source)")
                return .configuration
            }
        }
        return await checkWithOwnLogins(configuration, console: console)
    }

    /// The summary `check-config` prints.
    static func describe(_ configuration: DaemonConfiguration, path: String, console: Console) {
        console.out("configuration OK: \(path)")
        console.out(
            "  server      \(configuration.server.url) (TLS verification \(configuration.server.tlsVerify ? "on" : "OFF"))"
        )
        let heartbeat = "(heartbeat \(configuration.heartbeatSeconds) s)"
        if configuration.agents.count == 1, let agent = configuration.agents.first {
            console.out("  user        \(agent.username), password from \(agent.password.source)")
            console.out("  state file  \(agent.stateFile) \(heartbeat)")
        } else {
            let logins = configuration.logins
            console.out(
                "  agents      \(configuration.agents.count) (logins: \(logins.concurrency) at once, jitter up to \(logins.jitter))"
            )
            console.out("  state dir   \(configuration.stateDirectory) \(heartbeat)")
        }
        console.out("  channels    \(configuration.channels.joined(separator: ", "))")
        console.out("  log         \(configuration.logFormat.rawValue), level \(configuration.logLevel.rawValue)")
        if let metrics = configuration.metricsTextfile { console.out("  metrics     \(metrics)") }
    }

    /// Through the running daemon: every agent's state document, by `snapshot` with its
    /// name. 0 when all are connected, 69 otherwise (naming the first few that are not).
    static func checkThroughDaemon(socket path: String, console: Console) async -> ExitStatus {
        guard
            case .success(let reply) = await ask(
                socket: path, ControlRequest(id: "ping", op: "ping"), timeout: .seconds(10)),
            let names = reply["agents"]?.arrayValue?.compactMap(\.stringValue)
        else {
            console.error("gws-agentd: the running daemon on \(path) did not answer")
            return .unavailable
        }
        let pid = reply["pid"]?.intValue.map { " (pid \($0))" } ?? ""
        var problems: [String] = []
        var documents: [StateDocument] = []
        for name in names {
            let request = ControlRequest(id: "snapshot", op: "snapshot", arguments: ["agent": .string(name)])
            guard case .success(let line) = await ask(socket: path, request, timeout: .seconds(10)),
                let state = line["state"], let document = try? StateDocument.decode(JSONWriter.bytes(state))
            else {
                problems.append("\(name): no state document yet")
                continue
            }
            documents.append(document)
            if !document.connection.connected {
                problems.append(
                    "\(name): \(document.connection.state.rawValue)"
                        + (document.connection.lastError.map { ": \($0.message)" } ?? ""))
            }
        }
        if problems.isEmpty {
            if names.count == 1, let document = documents.first {
                console.out(
                    "GWS accepted the credentials: the running daemon\(pid) is connected as \(document.agent.username), "
                        + "\(document.agent.devices.count) device(s), \(document.agent.channels.count) channel(s)")
            } else {
                console.out(
                    "GWS accepted the credentials: the running daemon\(pid) follows \(names.count) agents, all connected"
                )
            }
            return .success
        }
        console.error(
            "gws-agentd: the running daemon\(pid) follows \(names.count) agent(s); \(problems.count) not connected")
        for problem in problems.prefix(10) { console.error("  \(problem)") }
        if problems.count > 10 { console.error("  and \(problems.count - 10) more") }
        return .unavailable
    }

    /// With logins of its own: each agent's `GET /api/v2/me`, one after another. 0 when GWS
    /// accepts every agent, 78 when it refuses one, else the first failure's status.
    static func checkWithOwnLogins(_ configuration: DaemonConfiguration, console: Console) async -> ExitStatus {
        var refused: [String] = []
        var worst: ExitStatus = .success
        var accepted: [String] = []
        for entry in configuration.agents {
            guard let (http, rest) = connect(configuration.configuration(for: entry)) else { return .failure }
            defer { http.shutdown() }
            do {
                let snapshot = try await rest.fetchSnapshot()
                accepted.append(
                    "\(snapshot.username ?? entry.username), \(snapshot.devices.count) device(s), "
                        + "\(snapshot.channels.count) channel(s)")
            } catch .unauthorized {
                refused.append(entry.username)
            } catch {
                console.error("gws-agentd: \(entry.username): \(error.explanation)")
                if worst == .success { worst = error.exitStatus == .noPermission ? .configuration : error.exitStatus }
            }
        }
        if !refused.isEmpty {
            console.error(
                "gws-agentd: GWS refused the credentials of \(refused.count) agent(s): "
                    + refused.prefix(10).joined(separator: ", ") + (refused.count > 10 ? ", …" : ""))
            return .configuration
        }
        guard worst == .success else { return worst }
        if accepted.count == 1, let only = accepted.first {
            console.out("GWS accepted the credentials: \(only)")
        } else {
            console.out("GWS accepted the credentials of all \(accepted.count) agents")
        }
        return .success
    }
}
