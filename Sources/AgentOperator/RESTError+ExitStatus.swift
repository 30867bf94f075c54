import AgentDaemon

extension RESTError {
    /// The exit status a command reports for this failure.
    public var exitStatus: ExitStatus {
        switch self {
        case .transport: return .unavailable
        case .unauthorized: return .noPermission
        case .http(let status, _) where status >= 500: return .unavailable
        case .forbidden, .http, .reply: return .failure
        }
    }

    /// What a person should read about this failure.
    public var explanation: String {
        switch self {
        case .transport(let error): return "cannot reach GWS: \(error)"
        case .unauthorized: return "GWS refused the credentials (HTTP 401): check server.username and the password"
        case .forbidden(let detail):
            return
                "GWS refused the request (HTTP 403: the CSRF token or the session cookie was not accepted): \(detail)"
        case .http(let status, let detail):
            return "GWS answered HTTP \(status)" + (detail.map { ": \($0)" } ?? "")
        case .reply(let error): return "GWS sent an unusable reply: \(error)"
        }
    }
}
