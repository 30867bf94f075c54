import AgentDaemon
import AgentState
import Text

/// `gws-agentd status`: the agents' state files, for people, scripts and monitoring. The
/// exit status follows the monitoring-plugin convention (``StatusVerdict``).
extension OperatorCommands {
    /// What `status` was asked to show, besides the shared options.
    public struct StatusRequest: Sendable {
        /// `--state-directory`: the directory of a daemon's state files.
        public var stateDirectory: String?
        /// `--json`: the files themselves.
        public var json: Bool
        /// `--watch`: each change as it happens.
        public var watch: Bool

        public init(stateDirectory: String? = nil, json: Bool = false, watch: Bool = false) {
            self.stateDirectory = stateDirectory
            self.json = json
            self.watch = watch
        }
    }

    /// The files `status` shows: one agent's, or those of several agents.
    enum StatusFiles: Equatable {
        case one(String)
        case several(directory: String, usernames: [String]?)
    }

    /// Shows what the state files say; returns the exit status.
    public static func status(
        target: DaemonTarget, _ request: StatusRequest, environment: [String: String], console: Console
    ) async -> Int32 {
        let files: StatusFiles
        switch await statusFiles(target, request, environment: environment) {
        case .success(let found): files = found
        case .failure(let refusal):
            console.error("gws-agentd: \(refusal)")
            return ExitStatus.usage.rawValue
        }
        switch files {
        case .one(let path):
            return request.watch
                ? watch(path, json: request.json, console: console) : show(path, json: request.json, console: console)
        case .several(let directory, let usernames):
            if request.watch {
                console.error("gws-agentd: --watch follows one agent: add --agent NAME")
                return ExitStatus.usage.rawValue
            }
            let fleet = FleetInspection.inspect(directory: directory, usernames: usernames)
            if request.json {
                for (_, inspection) in fleet.agents {
                    if case .success(let document)? = inspection.result {
                        console.out(String(decoding: document.encoded().dropLast(), as: UTF8.self))
                    }
                }
            } else {
                for line in fleet.lines(directory: directory) { console.out(line) }
            }
            return fleet.verdict.rawValue
        }
    }

    /// Which files the options name: `--state-file`; `--state-directory` (one agent's file
    /// with `--agent`); the agents of `--config`; else those of the instance or the default
    /// runtime directory (`state.json`, or a directory of agents' files).
    static func statusFiles(
        _ target: DaemonTarget, _ request: StatusRequest, environment: [String: String]
    ) async -> Result<StatusFiles, AgentChoice.Refusal> {
        if target.socket != nil {
            return .failure(
                AgentChoice.Refusal(
                    "status reads the state files, not the control socket: give --state-file, --instance, "
                        + "--state-directory or --config"))
        }
        if let stateFile = target.stateFile { return .success(.one(stateFile)) }
        if let directory = request.stateDirectory {
            return .success(
                target.agent.map { .one(directory + "/" + $0 + ".json") }
                    ?? .several(directory: directory, usernames: nil))
        }
        if target.configPath != nil {
            let configurations = ConfigurationCache(path: target.configPath, environment: environment)
            guard case .success(let configuration) = await configurations.load() else {
                return .failure(AgentChoice.Refusal("the configuration cannot be read: check it with check-config"))
            }
            let names = configuration.agents.map(\.username)
            if target.agent == nil && names.count > 1 {
                return .success(.several(directory: configuration.stateDirectory, usernames: names))
            }
            return AgentChoice.choose(target.agent, among: names, by: .configuration).map { name in
                .one(configuration.agent(named: name)?.stateFile ?? "")
            }
        }
        let defaultPath = StateFileInspection.defaultPath(instance: target.instance, environment: environment)
        let directory = String(defaultPath.dropLast("/state.json".count))
        if let agent = target.agent { return .success(.one(directory + "/" + agent + ".json")) }
        if !FileInfo.exists(defaultPath), !FleetInspection.stateFiles(in: directory).isEmpty {
            return .success(.several(directory: directory, usernames: nil))
        }
        return .success(.one(defaultPath))
    }

    /// One agent's file: the summary, or the file itself.
    static func show(_ path: String, json: Bool, console: Console) -> Int32 {
        let inspection = StateFileInspection.inspect(path)
        let (verdict, reason) = inspection.verdict
        if json {
            if let bytes = try? FileInfo.read(path, limit: 1 << 20), case .success? = inspection.result {
                console.out(String(decoding: bytes, as: UTF8.self).trimmingWhitespace)
            } else {
                console.error("gws-agentd: \(reason)")
            }
        } else {
            for line in StatusText.summary(inspection) { console.out(line) }
        }
        return verdict.rawValue
    }

    /// Each change of one agent's file as it happens, until interrupted.
    static func watch(_ path: String, json: Bool, console: Console) -> Int32 {
        let failure = StateWatcher(path: path).run { change in
            switch change {
            case .updated(let inspection):
                switch inspection.result {
                case .success(let document)?:
                    console.out(
                        json
                            ? String(decoding: document.encoded().dropLast(), as: UTF8.self)
                            : StatusText.changeLine(document))
                case .failure(let error)?:
                    console.error("gws-agentd: \(path): \(error)")
                case nil:
                    break
                }
            case .removed where json:
                console.out(StatusText.removedLine(path: path, at: WallClock.timestamp()))
            case .removed:
                console.out("\(WallClock.timestamp()) \(path) removed (the daemon stopped)")
            }
            return true
        }
        guard let failure else { return StatusVerdict.ok.rawValue }
        console.error("gws-agentd: cannot watch \(path): \(FileInfo.errnoText(failure))")
        return StatusVerdict.unknown.rawValue
    }
}
