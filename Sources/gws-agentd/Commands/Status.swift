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
        }

        func run() throws {
            let path =
                stateFile
                ?? StateFileInspection.defaultPath(instance: instance, environment: ProcessEnvironment.current)
            let console = Console.standard
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
