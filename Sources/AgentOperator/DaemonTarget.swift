import AgentDaemon

/// Which daemon and which agent an operator command is about: what the options shared by
/// `set`, `states`, `status` and `reload` say (`--config`, `--socket`, `--instance`,
/// `--state-file`, `--agent`, `--verbose`).
public struct DaemonTarget: Sendable, Equatable {
    /// `--socket`: the running daemon's control socket.
    public var socket: String?
    /// `--instance`: the daemon of a template instance (`/run/gws-agentd@NAME/`).
    public var instance: String?
    /// `--state-file`: a state file of the running daemon (its socket is beside it).
    public var stateFile: String?
    /// `--config`: the daemon's configuration file.
    public var configPath: String?
    /// `--agent`: the agent, when the daemon follows several.
    public var agent: String?
    /// `--verbose`: say which way the command went.
    public var verbose: Bool

    public init(
        socket: String? = nil, instance: String? = nil, stateFile: String? = nil, configPath: String? = nil,
        agent: String? = nil, verbose: Bool = false
    ) {
        self.socket = socket
        self.instance = instance
        self.stateFile = stateFile
        self.configPath = configPath
        self.agent = agent
        self.verbose = verbose
    }

    /// Why these options do not go together, if they do not.
    public var problem: String? {
        if [socket, instance, stateFile].compactMap({ $0 }).count > 1 {
            return "Give at most one of --socket, --instance and --state-file."
        }
        if let instance, !RuntimeFiles.isInstanceName(instance) { return "--instance needs an instance name." }
        if let agent, AgentEntry.refusal(username: agent) != nil { return "--agent needs a username." }
        return nil
    }

    /// Whether the options name the daemon's files themselves (not through a configuration).
    var namesFiles: Bool { socket != nil || instance != nil || stateFile != nil }

    /// The control socket the options name, if they name one.
    func explicitSocket(environment: [String: String]) -> String? {
        guard namesFiles else { return nil }
        return RuntimeFiles.controlSocket(
            explicit: socket, instance: instance, stateFile: stateFile, environment: environment)
    }
}
