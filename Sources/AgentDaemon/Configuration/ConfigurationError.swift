/// A configuration problem, naming the key (or file) at fault.
///
/// `gws-agentd` exits with status 78 (`EX_CONFIG`) on any of these. Messages never
/// contain the password.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key (`server.url`), variable (`GWS_AGENTD_SERVER_URL`) or file at fault.
    public var key: String
    public var problem: String

    public init(key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(key): \(problem)" }
}
