/// What one agent's session runs with: the settings every agent shares, with this agent's
/// credentials and state file. Built by ``DaemonConfiguration/configuration(for:)``.
public struct AgentConfiguration: Sendable, Equatable {
    public var server: ServerSettings
    /// The agent (HTTP Basic user).
    public var username: String
    public var password: Password
    public var stateFile: String
    /// Channels to subscribe to.
    public var channels: [String]
    /// Send `StartContactCenterSession` after subscribing.
    public var startContactCenterSession: Bool
    /// How often the state file's mtime is touched.
    public var heartbeatSeconds: Int
    /// Publish calls' participants and attached data (`calls.publish_details`).
    public var publishCallDetails: Bool

    public init(
        server: ServerSettings, username: String, password: Password, stateFile: String,
        channels: [String] = DaemonConfiguration.defaultChannels, startContactCenterSession: Bool = false,
        heartbeatSeconds: Int = 10, publishCallDetails: Bool = false
    ) {
        self.publishCallDetails = publishCallDetails
        self.server = server
        self.username = username
        self.password = password
        self.stateFile = stateFile
        self.channels = channels
        self.startContactCenterSession = startContactCenterSession
        self.heartbeatSeconds = heartbeatSeconds
    }

    /// Whether moving from `old` to this configuration needs a new GWS session: a server
    /// setting, the credentials, the channels or the contact-center session flag changed.
    public func needsReconnect(from old: AgentConfiguration) -> Bool {
        server != old.server || username != old.username || password != old.password || channels != old.channels
            || startContactCenterSession != old.startContactCenterSession
    }
}
