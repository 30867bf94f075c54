import AgentDaemon
import AgentState

/// `gws-agentd status` for a daemon that follows several agents: one line per state file
/// `<username>.json` of its state directory, and the worst verdict of all.
public struct FleetInspection: Sendable {
    /// Each agent's inspection, by username, sorted.
    public var agents: [(username: String, inspection: StateFileInspection)]

    /// Reads the state files of `usernames` in `directory`, or every `*.json` file there when `nil`.
    public static func inspect(directory: String, usernames: [String]? = nil) -> FleetInspection {
        let names = usernames ?? stateFiles(in: directory)
        return FleetInspection(agents: names.map { ($0, StateFileInspection.inspect(directory + "/" + $0 + ".json")) })
    }

    /// The usernames of the state files in `directory` (empty when it cannot be listed).
    public static func stateFiles(in directory: String) -> [String] {
        (FileInfo.names(in: directory, endingIn: ".json", limit: AgentEntry.maximumCount) ?? [])
            .sorted()
    }

    /// The worst verdict of all agents; `unknown` when there is none.
    public var verdict: StatusVerdict {
        guard !agents.isEmpty else { return .unknown }
        return agents.map { $0.inspection.verdict.0 }.max { $0.rawValue < $1.rawValue } ?? .unknown
    }

    /// The summary: a head line with the counts, then one line per agent.
    public func lines(directory: String, now: Double = WallClock.now()) -> [String] {
        guard !agents.isEmpty else { return ["UNKNOWN: no agent state file in \(directory)"] }
        let ok = agents.filter { $0.inspection.verdict.0 == .ok }.count
        var lines = ["\(verdict.label): \(ok)/\(agents.count) agents connected and synced (\(directory))"]
        let width = min(32, agents.map(\.username.count).max() ?? 0)
        for (username, inspection) in agents {
            let (verdict, reason) = inspection.verdict
            let padded = username + String(repeating: " ", count: max(0, width - username.count))
            if verdict == .ok, case .success(let document)? = inspection.result {
                lines.append("\(padded)  \(verdict.label)  " + StatusText.agentLine(document.agent, now: now))
            } else {
                lines.append("\(padded)  \(verdict.label)  \(reason)")
            }
        }
        return lines
    }
}
