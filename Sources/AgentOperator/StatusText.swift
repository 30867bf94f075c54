import AgentDaemon
import AgentState

/// Human renderings of a state file for `gws-agentd status`.
public enum StatusText {
    /// "Ready, DND off" or "NotReady (AfterCallWork, reason Lunch), DND on".
    public static func agentLine(_ agent: StateDocument.Agent) -> String {
        stateText(agent.state, agent.workMode, agent.reason) + ", " + dndText(agent.dnd)
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

    /// The full human summary, headed by the monitoring verdict.
    public static func summary(_ inspection: StateFileInspection) -> [String] {
        let (verdict, reason) = inspection.verdict
        var lines = ["\(verdict.label): \(reason)"]
        guard case .success(let document)? = inspection.result else { return lines }
        let agent = document.agent
        lines.append("agent       \(agent.username): \(agentLine(agent))\(agent.synced ? "" : " (not synced)")")
        for device in agent.devices {
            let name = device.id ?? "(no id)"
            let phone = device.phoneNumber.map { " (\($0))" } ?? ""
            lines.append(
                "device      \(name)\(phone): \(stateText(device.state, device.workMode, device.reason)), \(dndText(device.dnd))"
            )
        }
        for channel in agent.channels {
            lines.append(
                "channel     \(channel.name ?? "(all)"): \(stateText(channel.state, channel.workMode, channel.reason)), \(dndText(channel.dnd))"
            )
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

    /// One line per change, for `status --watch`.
    public static func changeLine(_ document: StateDocument) -> String {
        "\(document.changedAt) seq \(document.seq) \(document.agent.username) \(agentLine(document.agent)); "
            + "\(document.connection.state.rawValue)\(document.agent.synced ? ", synced" : "")"
    }
}
