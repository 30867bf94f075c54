/// Why the daemon gives up.
public enum FatalReason: Sendable, Equatable, CustomStringConvertible {
    /// The credentials were refused this many times in a row.
    case authenticationFailed(String)
    /// The server said `reconnect: none`.
    case serverRefused(String?)
    /// The server offers no connection type we speak.
    case noCommonTransport([String])

    public var description: String {
        switch self {
        case .authenticationFailed(let detail): return "authentication keeps failing: \(detail)"
        case .serverRefused(let error): return "the server refused the session" + (error.map { ": \($0)" } ?? "")
        case .noCommonTransport(let types):
            return "the server offers no long-polling transport (only \(types.joined(separator: ", ")))"
        }
    }
}
