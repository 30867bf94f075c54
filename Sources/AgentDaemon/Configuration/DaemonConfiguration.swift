import Logging

/// Everything `gws-agentd` reads from its configuration, validated: settings every agent
/// shares, and the agents, each with its password and state file. One agent is a list of
/// one; nothing in the daemon depends on how many there are.
///
/// Built by ``ConfigurationLoader``; every key is documented in `docs/configuration.md`.
public struct DaemonConfiguration: Sendable, Equatable {
    /// The log output chosen by `log.format`.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        /// The journal when stderr is connected to it, else text on a terminal, else JSON lines.
        case auto
        case journal
        case json
        case text
    }

    /// How to reach GWS (`server.*` but the credentials).
    public var server: ServerSettings
    /// The agents, sorted by username, each once (`server.username`, or `agents.*`).
    public var agents: [AgentEntry]
    /// Where the state files are: the directory of `state.file`, or `state.directory`.
    public var stateDirectory: String
    /// Channels to subscribe to (`notifications.channels`).
    public var channels: [String]
    /// Send `StartContactCenterSession` after subscribing (`session.start_contact_center_session`).
    public var startContactCenterSession: Bool
    /// Publish calls' participants' numbers and attached data (`calls.publish_details`):
    /// personal data, off by default.
    public var publishCallDetails: Bool
    /// How often each state file's mtime is touched and the metrics written (`state.heartbeat_s`).
    public var heartbeatSeconds: Int
    public var logFormat: LogFormat
    public var logLevel: Logger.Level
    /// A node_exporter textfile (`metrics.textfile`).
    public var metricsTextfile: String?
    /// Each agent's own series are written while the daemon follows at most this many
    /// agents (`metrics.per_agent_limit`); the daemon-wide series always are.
    public var metricsPerAgentLimit: Int
    /// The default of ``metricsPerAgentLimit``: a few hundred series per agent's worth of
    /// cardinality stays within what a Prometheus is usually sized for.
    public static let defaultMetricsPerAgentLimit = 100
    /// The control socket (`control.socket`; default `control.sock` in ``stateDirectory``).
    public var controlSocket: String
    /// The group that may use the control socket (`control.group`); the process's own
    /// group when `nil`.
    public var controlGroup: String?
    /// Who may act on which agents through the socket (`control.operator_groups`).
    public var operatorGroups: OperatorGroups
    /// How logins are paced (`agents.login_concurrency`, `agents.login_jitter_ms`).
    public var logins: LoginPacing
    /// What happens when an agent's session gives up (`agents.on_give_up`).
    public var onGiveUp: GiveUpPolicy
    /// How many threads the agents are sharded over, each with its own libcurl loop
    /// (`agents.threads`); `nil`: as many as the CPUs the process may run on. Never more
    /// than there are agents. Read at start.
    public var threads: Int?
    /// The most `agents.threads` accepts.
    public static let maxThreads = 64

    /// The default subscriptions: agent state and DND per device and per channel, and calls.
    public static let defaultChannels = ["/v2/me/devices", "/v2/me/channels", "/v2/me/calls"]

    public init(
        server: ServerSettings, agents: [AgentEntry], stateDirectory: String, channels: [String] = defaultChannels,
        startContactCenterSession: Bool = false, heartbeatSeconds: Int = 10, logFormat: LogFormat = .auto,
        logLevel: Logger.Level = .info, metricsTextfile: String? = nil,
        metricsPerAgentLimit: Int = defaultMetricsPerAgentLimit, controlSocket: String? = nil,
        controlGroup: String? = nil, operatorGroups: OperatorGroups = OperatorGroups(),
        logins: LoginPacing = LoginPacing(), threads: Int? = nil, onGiveUp: GiveUpPolicy = .exitDaemon,
        publishCallDetails: Bool = false
    ) {
        self.threads = threads
        self.publishCallDetails = publishCallDetails
        self.operatorGroups = operatorGroups
        self.server = server
        self.agents = agents
        self.stateDirectory = stateDirectory
        self.channels = channels
        self.startContactCenterSession = startContactCenterSession
        self.heartbeatSeconds = heartbeatSeconds
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.metricsTextfile = metricsTextfile
        self.metricsPerAgentLimit = metricsPerAgentLimit
        self.controlSocket = controlSocket ?? Self.defaultControlSocket(in: stateDirectory)
        self.controlGroup = controlGroup
        self.logins = logins
        self.onGiveUp = onGiveUp
    }

    /// `control.sock` in `directory`.
    public static func defaultControlSocket(in directory: String) -> String {
        directory == "/" ? "/control.sock" : directory + "/control.sock"
    }

    /// The agent named `username`, if the configuration lists it.
    public func agent(named username: String) -> AgentEntry? {
        agents.first { $0.username == username }
    }

    /// What `agent`'s session runs with: the shared settings and this agent's credentials
    /// and state file.
    public func configuration(for agent: AgentEntry) -> AgentConfiguration {
        AgentConfiguration(
            server: server, username: agent.username, password: agent.password, stateFile: agent.stateFile,
            channels: channels, startContactCenterSession: startContactCenterSession,
            heartbeatSeconds: heartbeatSeconds, publishCallDetails: publishCallDetails)
    }
}

/// One agent the daemon follows: its GWS username, its password and its state file.
public struct AgentEntry: Sendable, Equatable {
    public var username: String
    public var password: Password
    /// `state.file`, or `<state.directory>/<username>.json`.
    public var stateFile: String

    public init(username: String, password: Password, stateFile: String) {
        self.username = username
        self.password = password
        self.stateFile = stateFile
    }

    /// The most agents one daemon follows.
    public static let maximumCount = 10_000

    /// Why `username` cannot name an agent of `agents.*` (it becomes a file name), or `nil`
    /// when it can.
    public static func refusal(username: String) -> String? {
        if username.isEmpty || username.utf8.count > 128 { return "must be 1 to 128 bytes long" }
        if username.hasPrefix(".") { return "must not begin with a dot" }
        if username.contains(where: { $0 == "/" || $0.isWhitespace || $0.unicodeScalars.contains { $0.value < 0x20 } })
        {
            return "must not contain a slash, white space or control characters"
        }
        return nil
    }
}

/// How many logins may be in flight at once, and the random delay before each, so that
/// many agents do not log in at the same instant at start or after an outage.
public struct LoginPacing: Sendable, Equatable {
    /// `agents.login_concurrency`.
    public var concurrency: Int
    /// `agents.login_jitter_ms`: the longest random delay before a login.
    public var jitter: Duration

    public init(concurrency: Int = 8, jitter: Duration = .zero) {
        self.concurrency = concurrency
        self.jitter = jitter
    }
}

/// What the daemon does when an agent's session gives up: GWS refused its password again
/// and again, or ended the session with `reconnect: none` (`agents.on_give_up`).
public enum GiveUpPolicy: Sendable, Equatable {
    /// The daemon ends with the session's exit status (77 or 69), and systemd restarts it:
    /// what a daemon of one agent wants.
    case exitDaemon
    /// That agent's state file says why, and the agent is logged in again after the delay or
    /// at the next reload, while the others run on: what a daemon of many agents wants.
    case retryAgent(after: Duration)
}
