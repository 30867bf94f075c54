/// Why an HTTP exchange produced no response.
///
/// Every way the network or the peer can fail maps to one of these; none of them is a
/// crash. Descriptions never contain header values, so they are safe to log.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The deadline passed before the response was complete (half-open connections end here).
    case timeout
    /// The host name (or the proxy's) could not be resolved. The text names the host
    /// and port, says what the library said and what to check (a ``ConnectionDiagnosis``).
    case resolve(String)
    /// Nothing accepted the connection (the text as for ``resolve(_:)``).
    case connect(String)
    /// The connection broke or closed before the response was complete.
    case reset(String)
    /// TLS failed: certificate verification, handshake, or unreadable CA/client files
    /// (the text classifies the failure, as for ``resolve(_:)``).
    case tls(String)
    /// The response body grew past the configured limit and was abandoned.
    case responseTooLarge(limit: Int)
    /// The task was cancelled; the request was aborted.
    case cancelled
    /// The client has been shut down.
    case shutDown
    /// Anything else the HTTP library reported.
    case other(String)

    public var description: String {
        switch self {
        case .timeout: return "timed out"
        case .resolve(let d): return d
        case .connect(let d): return d
        case .reset(let d): return "connection lost: \(d)"
        case .tls(let d): return "TLS error: \(d)"
        case .responseTooLarge(let limit): return "response larger than \(limit) bytes"
        case .cancelled: return "cancelled"
        case .shutDown: return "HTTP client shut down"
        case .other(let d): return d
        }
    }
}
