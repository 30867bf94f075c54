import AgentDaemon
import AgentState
import JSON

/// Human renderings of a state file for `gws-agentd status`.
public enum StatusText {
    /// "Ready, DND off" or "NotReady (AfterCallWork, reason Lunch), DND on"; with `now`
    /// (seconds since the epoch), each part says for how long when its start is known:
    /// "NotReady (AuxWork, reason Lunch) for 47m, DND off for 2h05m".
    /// On a call, it ends with the newest call's state: ", on a call (Established for 2m)".
    public static func agentLine(_ agent: StateDocument.Agent, now: Double? = nil) -> String {
        stateText(agent.state, agent.workMode, agent.reason) + lasting(since: agent.stateSince, now: now) + ", "
            + dndText(agent.dnd) + lasting(since: agent.dndSince, now: now) + callText(agent, now: now)
    }

    /// ", on a call (Held for 12s)" when the agent is on a call, else "".
    static func callText(_ agent: StateDocument.Agent, now: Double?) -> String {
        guard agent.onCall == true else { return "" }
        guard let call = agent.calls?.last else { return ", on a call" }
        let more = (agent.calls?.count ?? 0) > 1 ? ", \(agent.calls?.count ?? 0) calls" : ""
        return ", on a call (\(call.state ?? "unknown")\(lasting(since: call.since, now: now))\(more))"
    }

    /// " for 47m" when `since` is a known start and `now` is given, else "".
    static func lasting(since: String?, now: Double?) -> String {
        guard let now, let since, let start = Timestamp.parse(since) else { return "" }
        return " for " + elapsed(now - start)
    }

    /// A duration as an operator reads it: "35s", "47m", "2h05m", "3d04h" (negative,
    /// from a clock set back, counts as 0).
    static func elapsed(_ seconds: Double) -> String {
        let total = seconds.isFinite ? Int64(max(0, min(seconds, 1e12))) : 0
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return "\(total / 60)m"
        case ..<86_400: return "\(total / 3600)h\(two(total % 3600 / 60))m"
        default: return "\(total / 86_400)d\(two(total % 86_400 / 3600))h"
        }
    }

    static func stateText(_ state: String?, _ workMode: String?, _ reason: String?) -> String {
        let details = [workMode, reason.map { "reason \($0)" }].compactMap { $0 }
        return (state ?? "unknown") + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
    }

    static func dndText(_ dnd: Bool?) -> String {
        dnd.map { $0 ? "DND on" : "DND off" } ?? "DND unknown"
    }

    /// "connected since …" or "unconnected since …: connection refused".
    public static func connectionLine(_ connection: StateDocument.Connection) -> String {
        var line = connection.state.rawValue
        if let since = connection.since { line += " since \(since)" }
        if !connection.connected, let error = connection.lastError { line += ": \(error.message)" }
        return line
    }

    /// The full human summary, headed by the monitoring verdict; durations are counted
    /// to `now` (seconds since the epoch).
    public static func summary(_ inspection: StateFileInspection, now: Double = WallClock.now()) -> [String] {
        let (verdict, reason) = inspection.verdict
        var lines = ["\(verdict.label): \(reason)"]
        guard case .success(let document)? = inspection.result else { return lines }
        let agent = document.agent
        lines.append(
            "agent       \(agent.username): \(agentLine(agent, now: now))\(agent.synced ? "" : " (not synced)")")
        for device in agent.devices {
            let name = device.id ?? "(no id)"
            let phone = device.phoneNumber.map { " (\($0))" } ?? ""
            lines.append(
                "device      \(name)\(phone): \(stateText(device.state, device.workMode, device.reason))"
                    + "\(lasting(since: device.since, now: now)), \(dndText(device.dnd))"
            )
        }
        for channel in agent.channels {
            lines.append(
                "channel     \(channel.name ?? "(all)"): \(stateText(channel.state, channel.workMode, channel.reason))"
                    + "\(lasting(since: channel.since, now: now)), \(dndText(channel.dnd))"
            )
        }
        if agent.calls != nil, agent.onCall != true {
            lines.append(
                agent.onCall == false ? "calls       none" : "calls       unknown (not read since the last handshake)")
        }
        for call in agent.calls ?? [] {
            let details = [call.type, call.deviceID.map { "device \($0)" }].compactMap { $0 }
            lines.append(
                "call        \(call.id): \(call.state ?? "unknown")\(lasting(since: call.since, now: now))"
                    + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"))
        }
        var connection = "connection  \(connectionLine(document.connection))"
        if document.connection.handshakes > 0 { connection += ", \(document.connection.handshakes) handshake(s)" }
        lines.append(connection)
        if document.connection.connected, let error = document.connection.lastError {
            lines.append("last error  \(error.message) at \(error.at)")
        }
        if let last = agent.lastNotificationAt { lines.append("notified    \(last)") }
        let age = inspection.age.map { ", updated \(StateFileInspection.duration($0)) ago" } ?? ""
        lines.append(
            "file        \(inspection.path) (seq \(document.seq), pid \(document.pid)\(age), heartbeat \(document.heartbeatSeconds) s)"
        )
        return lines
    }

    /// The line `status --watch --json` prints when the state file goes away.
    public static func removedLine(path: String, at time: String) -> String {
        JSONWriter.string(["removed": true, "path": .string(path), "at": .string(time)])
    }

    /// One line per change, for `status --watch`.
    public static func changeLine(_ document: StateDocument) -> String {
        "\(document.changedAt) seq \(document.seq) \(document.agent.username) \(agentLine(document.agent)); "
            + "\(document.connection.state.rawValue)\(document.agent.synced ? ", synced" : "")"
    }
}
