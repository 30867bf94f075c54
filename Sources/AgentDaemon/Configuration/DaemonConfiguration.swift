import Logging

/// Everything `gws-agentd` reads from its configuration, validated.
///
/// Built by ``ConfigurationLoader``; every key is documented in `docs/configuration.md`.
public struct DaemonConfiguration: Sendable, Equatable {
    /// How to reach GWS. A change here needs a new session (see ``needsReconnect(from:)``).
    public struct Server: Sendable, Equatable {
        /// The base URL, without a trailing slash: REST lives under `{url}/api/v2`.
        public var url: String
        public var username: String
        public var password: Password
        public var caFile: String?
        public var tlsVerify: Bool
        public var proxy: String?
        /// Allowance for network latency on top of the long-poll hold time.
        public var maxNetworkDelay: Duration

        public init(
            url: String, username: String, password: Password, caFile: String? = nil, tlsVerify: Bool = true,
            proxy: String? = nil, maxNetworkDelay: Duration = .seconds(10)
        ) {
            self.url = url
            self.username = username
            self.password = password
            self.caFile = caFile
            self.tlsVerify = tlsVerify
            self.proxy = proxy
            self.maxNetworkDelay = maxNetworkDelay
        }

        /// `{url}/api/v2/notifications`, the CometD endpoint.
        public var notificationsURL: String { url + "/api/v2/notifications" }
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

    /// The default subscriptions: agent state and DND per device, and per channel.
    public static let defaultChannels = ["/v2/me/devices", "/v2/me/channels"]

    public init(
        server: Server, channels: [String] = defaultChannels, startContactCenterSession: Bool = false,
        stateFile: String, heartbeatSeconds: Int = 10, logFormat: LogFormat = .auto, logLevel: Logger.Level = .info,
        metricsTextfile: String? = nil
    ) {
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
    /// The secret itself; read it only to build the Basic credentials.
    public let secret: String
    /// Where it came from, for messages (a path or a variable name; never the value).
    public let source: String

    public init(_ secret: String, source: String) {
        self.secret = secret
        self.source = source
    }

    public var description: String { "<password from \(source)>" }
    public var debugDescription: String { description }
}
