/// The agents of a daemon that follows several (`agents.*` in `docs/configuration.md`),
/// each in its own GWS session with its own state file `<state.directory>/<username>.json`.
public struct AgentRosterConfiguration: Sendable, Equatable {
    /// One agent: its GWS username and password.
    public struct Agent: Sendable, Equatable {
        public var username: String
        public var password: Password

        public init(username: String, password: Password) {
            self.username = username
            self.password = password
        }
    }

    /// The agents, sorted by username, each once.
    public var agents: [Agent]
    /// Where each agent's state file goes (`state.directory`).
    public var stateDirectory: String
    /// How many logins may be in flight at once (`agents.login_concurrency`).
    public var loginConcurrency: Int
    /// The longest random delay before a login (`agents.login_jitter_ms`).
    public var loginJitter: Duration

    /// The most agents one daemon follows.
    public static let maximumAgents = 10_000

    public init(agents: [Agent], stateDirectory: String, loginConcurrency: Int = 8, loginJitter: Duration = .zero) {
        self.agents = agents
        self.stateDirectory = stateDirectory
        self.loginConcurrency = loginConcurrency
        self.loginJitter = loginJitter
    }

    /// The state file of `username`.
    public func stateFile(of username: String) -> String { stateDirectory + "/" + username + ".json" }

    /// Why `username` cannot name an agent (it becomes a file name), or `nil` when it can.
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

extension DaemonConfiguration {
    /// The configuration of one agent's session in a daemon that follows several: the
    /// shared settings with this agent's credentials and state file, and no metrics file
    /// of its own (the daemon writes one for all agents).
    public func configuration(for agent: AgentRosterConfiguration.Agent) -> DaemonConfiguration {
        var single = self
        single.server.username = agent.username
        single.server.password = agent.password
        single.stateFile = roster?.stateFile(of: agent.username) ?? stateFile
        single.metricsTextfile = nil
        single.roster = nil
        return single
    }
}
