import JSON

/// The HTTP reply to an agent-state operation. GWS answers in one of two formats:
/// `{"statusCode":0}` / `{"statusCode":N,"statusMessage":…}` (released 8.5 pages; the
/// code sometimes as a string), or the pre-release `{"status":"ok"}` /
/// `{"status":"error","errorDescription":…}`.
///
/// Acceptance only means GWS passed the request on; the resulting state arrives as a
/// notification.
public enum OperationReply: Sendable, Equatable {
    /// Accepted (`statusCode` 0, or `status: ok`).
    case accepted
    /// Accepted in part (`statusCode` 7: some channels failed).
    case partiallyAccepted(message: String?)
    /// Refused, with the server's code (when it gave one) and message.
    case rejected(code: Int?, message: String?)

    /// Decodes an operation reply body; an empty body with HTTP 2xx counts as accepted.
    public static func decode(httpStatus: Int, body: some Collection<UInt8>) throws(GWSReplyError) -> OperationReply {
        if body.isEmpty || body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            if (200..<300).contains(httpStatus) { return .accepted }
            throw .notJSON("empty body with HTTP \(httpStatus)")
        }
        let object = try GWSReply.object(from: body)
        if let code = object["statusCode"] {
            guard let number = code.lenientInt else { throw .unexpectedShape("statusCode is not a number") }
            let message = object["statusMessage"]?.lenientString
            switch number {
            case 0: return .accepted
            case 7: return .partiallyAccepted(message: message)
            default: return .rejected(code: number, message: message)
            }
        }
        if let status = object["status"]?.lenientString {
            if status.lowercased() == "ok" { return .accepted }
            return .rejected(code: nil, message: object["errorDescription"]?.lenientString)
        }
        throw .unexpectedShape("neither statusCode nor status")
    }
}
