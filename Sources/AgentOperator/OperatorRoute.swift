import AgentDaemon

/// How an operator command reaches GWS: through the running daemon's control socket (its
/// session, its cookies; no password needed), or with a login of its own.
public enum OperatorRoute: Sendable {
    /// Through the daemon on `socket`, for `agent` (the daemon's only agent when `nil`).
    case daemon(socket: String, agent: String?)
    /// With a login of its own, as this agent.
    case ownLogin(AgentConfiguration)

    /// Finds the route for `target`: a daemon answering on the socket the options name;
    /// else on `--config`'s socket, on the default socket (`$RUNTIME_DIRECTORY`, else
    /// `/run/gws-agentd`) and on the default configuration's socket, in that order; else a
    /// login of its own with the configuration. The configuration is read without its
    /// passwords to find the socket; a password is needed only for a login of its own.
    /// `--agent` is refused the same way on both routes when it names no agent followed.
    /// `nil` after a message on `console` (the status to exit with is then in `failure`).
    public static func find(
        _ target: DaemonTarget, environment: [String: String], console: Console
    ) async -> Result<OperatorRoute, RouteFailure> {
        let configurations = ConfigurationCache(path: target.configPath, environment: environment)
        for socket in await candidateSockets(target, environment: environment, configurations: configurations) {
            switch DaemonRoute.find(socket: socket) {
            case .socket(let path):
                if target.verbose { console.error("gws-agentd: \(DaemonRoute.socket(path).explanation)") }
                return .success(.daemon(socket: path, agent: target.agent))
            case .refused(let path):
                console.error("gws-agentd: \(DaemonRoute.refusal(path))")
                return .failure(RouteFailure(status: .noPermission))
            case .ownLogin:
                continue
            }
        }
        let configuration: DaemonConfiguration
        switch await configurations.load() {
        case .success(let loaded): configuration = loaded
        case .failure(let error):
            console.error("gws-agentd: configuration error: \(error)")
            return .failure(RouteFailure(status: .configuration))
        }
        let entry: AgentEntry
        switch AgentChoice.choose(target.agent, among: configuration.agents.map(\.username), by: .configuration) {
        case .success(let name):
            guard let found = configuration.agent(named: name) else { return .failure(RouteFailure(status: .usage)) }
            entry = found
        case .failure(let refusal):
            console.error("gws-agentd: \(refusal.description)")
            return .failure(RouteFailure(status: .usage))
        }
        guard entry.password.isReadable else {
            console.error(
                "gws-agentd: configuration error: no password readable here, and no daemon answers on "
                    + "\(configuration.controlSocket): \(entry.password.source)")
            return .failure(RouteFailure(status: .configuration))
        }
        if target.verbose {
            console.error(
                "gws-agentd: \(DaemonRoute.ownLogin(reason: "no daemon answers on \(configuration.controlSocket)").explanation)"
            )
        }
        return .success(.ownLogin(configuration.configuration(for: entry)))
    }

    /// The sockets to try, in order, each once.
    static func candidateSockets(
        _ target: DaemonTarget, environment: [String: String], configurations: ConfigurationCache
    ) async -> [String] {
        if let explicit = target.explicitSocket(environment: environment) { return [explicit] }
        var sockets: [String] = []
        let fallback = RuntimeFiles.controlSocket(explicit: nil, instance: nil, environment: environment)
        if target.configPath != nil, case .success(let configuration) = await configurations.load() {
            sockets.append(configuration.controlSocket)
        }
        sockets.append(fallback)
        if target.configPath == nil, case .success(let configuration) = await configurations.load() {
            sockets.append(configuration.controlSocket)
        }
        var seen = Set<String>()
        return sockets.filter { seen.insert($0).inserted }
    }
}

/// Why no route was found; the message is already on the console.
public struct RouteFailure: Error, Sendable {
    public let status: ExitStatus
}

/// The configuration an operator command reads, read once and without its passwords.
actor ConfigurationCache {
    private let path: String?
    private let environment: [String: String]
    private var loaded: Result<DaemonConfiguration, ConfigurationError>?

    init(path: String?, environment: [String: String]) {
        self.path = path
        self.environment = environment
    }

    func load() async -> Result<DaemonConfiguration, ConfigurationError> {
        if let loaded { return loaded }
        var loader = ConfigurationLoader(environment: OperatorCommands.asUnits(environment))
        loader.passwordOptional = true
        let result: Result<DaemonConfiguration, ConfigurationError>
        do { result = .success(try await loader.load(explicitPath: path)) } catch { result = .failure(error) }
        loaded = result
        return result
    }
}
