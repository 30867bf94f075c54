/// An agent's password. It never appears in descriptions, logs or errors.
public struct Password: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Where a password is read from, so that it can be read again when GWS refuses it.
    public enum Origin: Sendable, Equatable {
        /// A file; `checkPermissions` for `server.password_file` and `agents.directory`
        /// (not for a systemd credential).
        case file(path: String, checkPermissions: Bool)
        /// An environment variable (it cannot change while the daemon runs).
        case environment(String)
        /// Given directly (tests, library users); never read again.
        case given
        /// Not readable by this process (``ConfigurationLoader/passwordOptional``): an
        /// operator command that goes through the running daemon needs none.
        case unreadable
    }

    /// The secret itself; read it only to build the Basic credentials.
    public let secret: String
    /// Where it came from, for messages (a path or a variable name; never the value).
    public let source: String
    /// How to read it again.
    public let origin: Origin

    public init(_ secret: String, source: String, origin: Origin = .given) {
        self.secret = secret
        self.source = source
        self.origin = origin
    }

    /// A password this process could not read, with why: what an operator command that
    /// goes through the running daemon holds instead (it needs none).
    public static func unreadable(because reason: String) -> Password {
        Password("", source: reason, origin: .unreadable)
    }

    /// Whether the secret is at hand (a command that logs in itself needs it).
    public var isReadable: Bool { origin != .unreadable }

    public var description: String { "<password from \(source)>" }
    public var debugDescription: String { description }
}
