/// Why a session ended for good.
public enum TerminationReason: Sendable, Equatable, CustomStringConvertible {
    /// The application asked to disconnect.
    case disconnected
    /// The server said `reconnect: none` (or a negative interval), with its error if any.
    case serverRefused(String?)
    /// The server offers no connection type this client supports.
    case noCommonTransport(serverTypes: [String])

    public var description: String {
        switch self {
        case .disconnected: return "disconnected"
        case .serverRefused(let e): return "server refused the session" + (e.map { ": \($0)" } ?? "")
        case .noCommonTransport(let types):
            return "no common transport: server offers \(types.joined(separator: ", ")), client supports long-polling"
        }
    }
}
