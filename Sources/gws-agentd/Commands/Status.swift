import AgentDaemon
import AgentOperator
import AgentState
import ArgumentParser
import Text

extension GWSAgentd {
    /// `gws-agentd status`: for people, scripts and monitoring.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the agent's state from the daemon's state file.",
            discussion: """
                Without flags, prints a summary: the agent's state, work mode and DND, each device and \
                channel, the connection and since when, and the file's age. --json prints the file \
                itself. --watch prints each change as it happens (inotify on the directory, as \
                systemd's own monitors do; it follows the daemon across restarts); with --json, one \
                state document per line (JSON lines), and {"removed":true,…} when the file goes.

                Exit status (monitoring-plugin convention, usable as a Nagios or Icinga check): \
                0 connected and synced, 1 not connected or not synced, 2 stale (mtime older than \
                3 × heartbeat) or written by a process that is gone, 3 missing or unreadable.

                A daemon that follows several agents writes <username>.json per agent in its \
                state directory: status then prints one line per agent and exits with the worst \
                verdict; --agent NAME shows one agent as above.
                """)

        @Option(
            help: ArgumentHelp(
                "The state file.",
                discussion: "Default: $RUNTIME_DIRECTORY/state.json, else /run/gws-agentd/state.json.",
                valueName: "path"))
        var stateFile: String?

        @Option(
            help: ArgumentHelp(
                "The state file of a template instance: /run/gws-agentd@NAME/state.json.", valueName: "name"))
        var instance: String?

        @Option(
            help: ArgumentHelp(
                "One agent of a daemon that follows several: its <agent>.json in the state directory.",
                valueName: "username"))
        var agent: String?

        @Option(
            help: ArgumentHelp(
                "The state directory of a daemon that follows several agents.",
                discussion: "Default: the directory of the default state file, when it holds no state.json.",
                valueName: "path"))
        var stateDirectory: String?

        @Flag(help: "Print the state file itself.")
        var json = false

        @Flag(help: "Print each change as it happens, until interrupted.")
        var watch = false

        func validate() throws {
            if stateFile != nil && instance != nil {
                throw ValidationError("--state-file and --instance cannot be used together.")
            }
            if let instance, instance.isEmpty || instance.contains("/") {
                throw ValidationError("--instance needs an instance name.")
            }
            if stateFile != nil && (agent != nil || stateDirectory != nil) {
                throw ValidationError("--state-file names one agent's file: leave out --agent and --state-directory.")
            }
            if let agent, AgentRosterConfiguration.refusal(username: agent) != nil {
                throw ValidationError("--agent needs a username.")
            }
        }

        /// The state directory of a daemon of several agents, when this command is about one:
        /// `--state-directory`, or the default directory when it holds agents' files and no state.json.
        func fleetDirectory(defaultPath: String) -> String? {
            if let stateDirectory { return stateDirectory }
            guard stateFile == nil, let slash = defaultPath.lastIndex(of: "/") else { return nil }
            let directory = String(defaultPath[..<slash])
            if agent != nil { return directory }
            guard !FileInfo.exists(defaultPath), !FleetInspection.stateFiles(in: directory).isEmpty else { return nil }
            return directory
        }

        func run() throws {
            let defaultPath = StateFileInspection.defaultPath(
                instance: instance, environment: ProcessEnvironment.current)
            var path = stateFile ?? defaultPath
            let console = Console.standard
            if let directory = fleetDirectory(defaultPath: defaultPath) {
                if let agent {
                    path = directory + "/" + agent + ".json"
                } else {
                    if watch { throw ValidationError("--watch follows one agent: add --agent NAME.") }
                    let fleet = FleetInspection.inspect(directory: directory)
                    if json {
                        for (_, inspection) in fleet.agents {
                            if case .success(let document)? = inspection.result {
                                console.out(String(decoding: document.encoded().dropLast(), as: UTF8.self))
                            }
                        }
                    } else {
                        for line in fleet.lines(directory: directory) { console.out(line) }
                    }
                    if fleet.verdict != .ok { throw ExitCode(fleet.verdict.rawValue) }
                    return
                }
            }
            if watch {
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
                if let failure {
                    console.error("gws-agentd: cannot watch \(path): \(FileInfo.errnoText(failure))")
                    throw ExitCode(StatusVerdict.unknown.rawValue)
                }
                return
            }
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
            if verdict != .ok { throw ExitCode(verdict.rawValue) }
        }
    }
}
