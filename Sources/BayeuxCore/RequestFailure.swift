/// Why a request failed before a Bayeux reply could be read from it.
public enum RequestFailureKind: String, Sendable, Equatable, CaseIterable {
    case timeout, connect, reset, http
    case tooLarge = "too_large"
    case malformed, tls, other
}

/// A request failure as the state machine sees it: a kind for counters and a detail for logs.
public struct RequestFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: RequestFailureKind
    public var detail: String
    /// The HTTP status, when the failure is a non-200 answer (kind ``RequestFailureKind/http``).
    public var httpStatus: Int?

    public init(_ kind: RequestFailureKind, _ detail: String, httpStatus: Int? = nil) {
        self.kind = kind
        self.detail = detail
        self.httpStatus = httpStatus
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}
