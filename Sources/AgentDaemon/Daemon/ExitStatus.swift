import AgentState

/// Exit statuses of `gws-agentd`, following sysexits(3) where one fits.
public enum ExitStatus: Int32, Sendable {
    /// Stopped on request, or the command succeeded.
    case success = 0
    /// The server rejected an operation, or a check failed.
    case failure = 1
    /// The command line names something that does not exist: an agent that neither the
    /// daemon nor the configuration follows, or none when there are several (`EX_USAGE`,
    /// as argument errors).
    case usage = 64
    /// The server was unreachable, or refused the session (`reconnect: none`).
    case unavailable = 69
    /// GWS accepted a change, but no notification confirmed it in time (`set --wait`):
    /// it may still happen; try again or look.
    case notConfirmed = 75
    /// The credentials were refused again and again, or the control socket refused the caller.
    case noPermission = 77
    /// The configuration is invalid (the units do not restart on this one).
    case configuration = 78

    /// The exit status for a session that gave up.
    public init(_ reason: FatalReason) {
        switch reason {
        case .authenticationFailed: self = .noPermission
        case .serverRefused, .noCommonTransport: self = .unavailable
        }
    }
}
