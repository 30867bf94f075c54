import GWS
import HTTPTransport

/// Removes the agent's password and its Basic token from text a server sent back, before
/// the text reaches an error, a log line, `STATUS=` or the state file: a proxy or a broken
/// server that echoes the request's headers must not leak them.
struct SecretRedaction: Sendable {
    /// The secrets to look for (the password when it is long enough to be told apart from
    /// ordinary words, and the Basic token).
    private let secrets: [String]

    init(password: String, basicToken: String) {
        secrets = [basicToken] + (password.count >= 4 ? [password] : [])
    }

    /// `text` with every secret replaced by `[redacted]`, and every value the text quotes
    /// after a secret header or cookie name (``HTTPHeader/redactingQuotedSecrets(in:)``).
    func callAsFunction(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: "[redacted]")
        }
        return HTTPHeader.redactingQuotedSecrets(in: result)
    }

    /// The error, with the server text it carries redacted.
    func callAsFunction(_ error: RESTError) -> RESTError {
        switch error {
        case .transport: return error
        case .unauthorized(let detail): return .unauthorized(self(detail))
        case .forbidden(let detail): return .forbidden(self(detail))
        case .http(let status, let detail): return .http(status: status, detail: detail.map { self($0) })
        case .reply(.notJSON(let detail)): return .reply(.notJSON(self(detail)))
        case .reply(.unexpectedShape(let detail)): return .reply(.unexpectedShape(self(detail)))
        case .reply(.status(let code, let message)):
            return .reply(.status(code: code, message: message.map { self($0) }))
        }
    }

    /// The reply, with the server's message redacted.
    func callAsFunction(_ reply: OperationReply) -> OperationReply {
        switch reply {
        case .accepted: return reply
        case .partiallyAccepted(let message): return .partiallyAccepted(message: message.map { self($0) })
        case .rejected(let code, let message): return .rejected(code: code, message: message.map { self($0) })
        }
    }
}
