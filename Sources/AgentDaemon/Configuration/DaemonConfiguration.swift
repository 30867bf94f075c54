import HTTPTransport
import Logging

/// Everything `gws-agentd` reads from its configuration, validated.
///
/// Built by ``ConfigurationLoader``; every key is documented in `docs/configuration.md`.
public struct DaemonConfiguration: Sendable, Equatable {
    /// How to reach GWS. A change here needs a new session (see ``needsReconnect(from:)``).
    public struct Server: Sendable, Equatable {
        /// The base URL of each node, without a trailing slash: REST lives under
        /// `{url}/api/v2`. One entry for a single server or a load balancer; several for
        /// the nodes of one GWS cluster, tried in order when one fails.
        public var urls: [String]
        public var username: String
        public var password: Password
        public var caFile: String?
        public var tlsVerify: Bool
        public var proxy: String?
        /// Allowance for network latency on top of the long-poll hold time.
        public var maxNetworkDelay: Duration
        /// Consecutive failures of a node after which the next one is used.
        public var failoverAfter: Int
        /// `server.allow_insecure`: cleartext `http://` to a host other than the loopback,
        /// or `tls_verify: false`, accepted (and warned about).
        public var allowInsecure: Bool

        public init(
            urls: [String], username: String, password: Password, caFile: String? = nil, tlsVerify: Bool = true,
            proxy: String? = nil, maxNetworkDelay: Duration = .seconds(10), failoverAfter: Int = 3,
            allowInsecure: Bool = false
        ) {
            self.allowInsecure = allowInsecure
            self.urls = urls
            self.username = username
            self.password = password
            self.caFile = caFile
            self.tlsVerify = tlsVerify
            self.proxy = proxy
            self.maxNetworkDelay = maxNetworkDelay
            self.failoverAfter = failoverAfter
        }

        /// A single server.
        public init(
            url: String, username: String, password: Password, caFile: String? = nil, tlsVerify: Bool = true,
            proxy: String? = nil, maxNetworkDelay: Duration = .seconds(10)
        ) {
            self.init(
                urls: [url], username: username, password: password, caFile: caFile, tlsVerify: tlsVerify,
                proxy: proxy, maxNetworkDelay: maxNetworkDelay)
        }

        /// The first (or only) node's base URL; setting it makes it the only one.
        public var url: String {
            get { urls.first ?? "" }
            set { urls = [newValue] }
        }

        /// `{url}/api/v2/notifications` of the first node, the CometD endpoint.
        public var notificationsURL: String { url + "/api/v2/notifications" }

        /// What exposes the password or the session to the network path: cleartext
        /// `http://` to a host other than the loopback, TLS verification off. Empty when
        /// nothing does.
        public var insecurity: [String] {
            var reasons = urls.filter(Self.isCleartextOffHost).map { "cleartext HTTP to \($0)" }
            if !tlsVerify { reasons.append("TLS verification off") }
            return reasons
        }

        /// Whether `url` is `http://` to a host other than the loopback.
        static func isCleartextOffHost(_ url: String) -> Bool {
            guard url.lowercased().hasPrefix("http://") else { return false }
            let host = Endpoint(url: url, proxy: nil).host.lowercased()
            return !(host == "localhost" || host == "::1" || host.hasPrefix("127."))
        }
    }

    /// The log output chosen by `log.format`.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        /// The journal when stderr is connected to it, else text on a terminal, else JSON lines.
        case auto
        case journal
        case json
        case text
    }

    public var server: Server
    /// Channels to subscribe to (`notifications.channels`).
    public var channels: [String]
    /// Send `StartContactCenterSession` after subscribing (`session.start_contact_center_session`).
    public var startContactCenterSession: Bool
    /// The state file's path (`state.file`).
    public var stateFile: String
    /// How often the state file's mtime is touched (`state.heartbeat_s`).
    public var heartbeatSeconds: Int
    public var logFormat: LogFormat
    public var logLevel: Logger.Level
    /// A node_exporter textfile (`metrics.textfile`).
    public var metricsTextfile: String?
    /// The control socket (`control.socket`; default `control.sock` beside the state file).
    public var controlSocket: String
    /// The group that may use the control socket (`control.group`); the process's own
    /// group when `nil`.
    public var controlGroup: String?
    /// The agents of a daemon that follows several (`agents.*`); `nil` for the one agent
    /// of `server.username`, whose state file is ``stateFile``.
    public var roster: AgentRosterConfiguration?

    /// `control.sock` in the state file's directory.
    public static func defaultControlSocket(stateFile: String) -> String {
        guard let slash = stateFile.lastIndex(of: "/") else { return "control.sock" }
        return String(stateFile[...slash]) + "control.sock"
    }

    /// The default subscriptions: agent state and DND per device, and per channel.
    public static let defaultChannels = ["/v2/me/devices", "/v2/me/channels"]

    public init(
        server: Server, channels: [String] = defaultChannels, startContactCenterSession: Bool = false,
        stateFile: String, heartbeatSeconds: Int = 10, logFormat: LogFormat = .auto, logLevel: Logger.Level = .info,
        metricsTextfile: String? = nil, controlSocket: String? = nil, controlGroup: String? = nil,
        roster: AgentRosterConfiguration? = nil
    ) {
        self.roster = roster
        self.controlSocket = controlSocket ?? Self.defaultControlSocket(stateFile: stateFile)
        self.controlGroup = controlGroup
        self.server = server
        self.channels = channels
        self.startContactCenterSession = startContactCenterSession
        self.stateFile = stateFile
        self.heartbeatSeconds = heartbeatSeconds
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.metricsTextfile = metricsTextfile
    }

    /// Whether moving from `old` to this configuration needs a new GWS session: any
    /// server setting, the channels, or the contact-center session flag changed.
    public func needsReconnect(from old: DaemonConfiguration) -> Bool {
        server != old.server || channels != old.channels || startContactCenterSession != old.startContactCenterSession
    }
}

/// The agent's password. It never appears in descriptions, logs or errors.
public struct Password: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Where a password is read from, so that it can be read again when GWS refuses it.
    public enum Origin: Sendable, Equatable {
        /// A file; `checkPermissions` for `server.password_file` (not for a systemd credential).
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

    public var description: String { "<password from \(source)>" }
    public var debugDescription: String { description }
}
