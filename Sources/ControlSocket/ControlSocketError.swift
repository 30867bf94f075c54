import Glibc

/// Why the control socket could not be served or reached.
public enum ControlSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A live process already answers on this socket (another daemon for the same state file).
    case inUse(String)
    /// Something other than a socket is at the path.
    case notASocket(String)
    /// Longer than an `AF_UNIX` address allows (107 bytes).
    case pathTooLong(String)
    /// No daemon answers on the socket.
    case notRunning(String)
    /// The socket exists but this user may not connect to it.
    case permissionDenied(String)
    /// The socket could not be given its group (`control.group`): it is not served.
    case groupNotSet(String, Int32)
    /// The daemon did not answer in time.
    case timeout
    /// The connection ended before the answer was complete.
    case closed
    /// A system call failed.
    case system(String, Int32)

    public var description: String {
        switch self {
        case .inUse(let path): return "another gws-agentd already serves \(path)"
        case .notASocket(let path): return "\(path) exists and is not a socket"
        case .pathTooLong(let path): return "\(path) is too long for a socket address"
        case .notRunning(let path): return "no daemon answers on \(path)"
        case .permissionDenied(let path):
            return "permission denied on \(path) (the socket's group may use it; see docs/control-socket.md)"
        case .groupNotSet(let path, let code):
            return
                "cannot give \(path) its group: \(String(cString: strerror(code))) (is the daemon a member of control.group?)"
        case .timeout: return "the daemon did not answer in time"
        case .closed: return "the daemon closed the connection"
        case .system(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        }
    }
}
