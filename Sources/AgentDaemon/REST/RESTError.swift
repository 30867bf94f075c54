import GWS
import HTTPTransport

/// Why a REST call to GWS failed. Descriptions never contain credentials or tokens.
public enum RESTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached, or did not answer in time.
    case transport(TransportError)
    /// HTTP 401 (or `statusCode` 20): the credentials were refused.
    case unauthorized(String)
    /// HTTP 403: the CSRF token or the session cookie was refused.
    case forbidden(String)
    /// Another HTTP error, with what could be read from its body.
    case http(status: Int, detail: String?)
    /// The reply could not be used.
    case reply(GWSReplyError)

    public var description: String {
        switch self {
        case .transport(let error): return error.description
        case .unauthorized(let detail): return "authentication failed (\(detail))"
        case .forbidden(let detail): return "request refused (HTTP 403): \(detail)"
        case .http(let status, let detail): return "HTTP \(status)" + (detail.map { ": \($0)" } ?? "")
        case .reply(let error): return error.description
        }
    }

    /// Whether the server was unreachable or too slow (the CLI's exit status 69).
    public var isUnreachable: Bool {
        if case .transport = self { return true }
        return false
    }
}
