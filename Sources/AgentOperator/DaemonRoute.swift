import AgentDaemon
import ControlSocket

/// How an operator command reaches GWS: through the running daemon's control socket (its
/// session, its cookies; no password needed), or with a login of its own when no daemon
/// answers.
public enum DaemonRoute: Sendable, Equatable {
    /// A daemon answers on this socket.
    case socket(String)
    /// No daemon answers; the reason, for `--verbose`.
    case ownLogin(reason: String)
    /// A daemon runs, but this caller may not use its socket.
    case refused(String)

    /// Finds the route for a daemon whose socket would be at `path`.
    public static func find(socket path: String) -> DaemonRoute {
        do {
            let client = try ControlClient(path: path)
            client.close()
            return .socket(path)
        } catch .permissionDenied {
            return .refused(path)
        } catch {
            return .ownLogin(reason: "no daemon answers on \(path)")
        }
    }

    /// Whether a daemon is there (answering, or refusing this caller).
    public var daemonRuns: Bool {
        if case .ownLogin = self { return false }
        return true
    }

    /// The line `--verbose` prints.
    public var explanation: String {
        switch self {
        case .socket(let path): return "through the running daemon (control socket \(path))"
        case .ownLogin(let reason): return "with a login of its own (\(reason))"
        case .refused(let path): return "refused by \(path)"
        }
    }

    /// What a caller refused by the socket reads.
    public static func refusal(_ path: String) -> String {
        "not allowed to use the daemon's control socket \(path): "
            + "ask for membership of its group (gws-agentd-operators under the shipped units)"
    }
}
