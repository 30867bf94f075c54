/// The externally visible state of a Bayeux session.
public enum SessionState: String, Sendable, Equatable, CaseIterable {
    /// Not started, stopped, or given up.
    case disconnected
    /// First handshake (or its retries) in progress; no session yet.
    case handshaking
    /// A `/meta/connect` succeeded; deliveries flow.
    case connected
    /// The session exists but the last connect failed; retrying with the same client id.
    case unconnected
    /// The server dropped the session (or it expired); handshaking again.
    case rehandshaking
}
