import AgentDaemon
import BuildVersion
import ControlSocket
import CurlTransport
import GWS
import HTTPTransport
import JSON

/// The work of the operator commands (`set`, `states`, `status`, `reload`,
/// `check-config`), one file per command, kept out of the executable so that it stays a
/// thin argument parser. What they share is here.
public enum OperatorCommands {
    /// The environment an operator command reads the configuration with: as
    /// `gws-agentd.service` runs it, so that a `state.file` left to its default
    /// (`$RUNTIME_DIRECTORY/state.json`) names the unit's file rather than being an error
    /// outside the unit.
    static func asUnits(_ environment: [String: String]) -> [String: String] {
        environment.merging(["RUNTIME_DIRECTORY": RuntimeFiles.directory(instance: nil, environment: environment)]) {
            own, _ in own
        }
    }

    /// An HTTP client and the REST calls over it, for a short-lived login as `agent`.
    static func connect(_ agent: AgentConfiguration) -> (CurlHTTPClient, GWSRestClient)? {
        let server = agent.server
        guard
            let http = CurlHTTPClient(
                configuration: server.curlConfiguration)
        else { return nil }
        let rest = GWSRestClient(
            http: http, baseURL: server.url, username: agent.username, password: agent.password,
            timeout: server.maxNetworkDelay)
        return (http, rest)
    }

    /// One request to the daemon on `socket`, answered by its reply line (`ok` true or false).
    static func ask(
        socket: String, _ request: ControlRequest, timeout: Duration
    ) async -> Result<
        JSONValue, ControlSocketError
    > {
        await ControlClient.exchange(path: socket, request, timeout: timeout) { line in line["ok"] != nil ? line : nil }
    }

    /// The exit status and message of a refusal the daemon sent on its socket.
    static func refusal(_ reply: JSONValue, console: Console, prefix: String = "") -> ExitStatus {
        let code = reply["error"]?["code"]?.stringValue ?? ""
        let message = reply["error"]?["message"]?.stringValue ?? "no reason given"
        console.error("gws-agentd: \(prefix)\(message)")
        switch ControlError.Code(rawValue: code) {
        case .timeout?: return .notConfirmed
        case .unavailable?: return .unavailable
        case .unknownAgent?: return .usage
        case .forbidden?: return .noPermission
        case .busy?, .tooManyClients?, .dropped?: return .unavailable
        default: return .failure
        }
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                line +=
                    index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            return line
        }
    }
}
