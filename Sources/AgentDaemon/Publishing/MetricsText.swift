import AgentState
import BayeuxCore

/// The Prometheus text exposition of the daemon's metrics, for node_exporter's textfile
/// collector. Labels are bounded: connection states, a fixed set of agent states,
/// request-failure kinds.
struct MetricsText {
    var version: String
    var startTime: Double
    var model: AgentModel
    var counters: SessionCounters
    var stateFileWrites: Int
    var stateFileWriteFailures: Int
    var stateFileLastWrite: Double?
    var lastNotification: Double?
    /// The `agent` label of every per-agent sample, in a daemon that follows several agents.
    var agent: String? = nil

    /// One metric: its name (without the `gws_agentd_` prefix), type, help and samples.
    struct Family {
        var name: String
        var type: String
        var help: String
        var samples: [(labels: String, value: String)]
    }

    /// Agent states reported as their own label value; anything else is `other`.
    static let agentStates = ["Ready", "NotReady", "LoggedOut", "LoggedIn", "Mixed", "Unknown"]

    /// A family's name (without the `gws_agentd_` prefix), type and help.
    struct FamilyHeader: Sendable, Equatable {
        var name: String
        var type: String
        var help: String

        /// The `# HELP` and `# TYPE` lines.
        var text: String { "# HELP gws_agentd_\(name) \(help)\n# TYPE gws_agentd_\(name) \(type)\n" }
    }

    /// This agent's exposition on its own, with the process's families.
    func render() -> String {
        var out = ""
        for family in families(process: true) {
            out += FamilyHeader(name: family.name, type: family.type, help: family.help).text
            for sample in family.samples { out += "gws_agentd_\(family.name)\(sample.labels) \(sample.value)\n" }
        }
        return out
    }

    /// This agent's families formatted once (unless `formatted` is false: the metrics file
    /// leaves them out), and the figures the daemon-wide series add up.
    func agentMetrics(formatted: Bool = true) -> AgentMetrics {
        let blocks =
            !formatted
            ? []
            : families(process: false).map { family in
                AgentMetrics.Block(
                    family: FamilyHeader(name: family.name, type: family.type, help: family.help),
                    lines: family.samples.map { "gws_agentd_\(family.name)\($0.labels) \($0.value)\n" }.joined())
            }
        let summary = AgentSummary(model.cache)
        let figures = AgentFigures(
            connection: model.connection,
            stateLabel: Self.agentStates.contains(summary.state) ? summary.state : "other", dnd: summary.dnd,
            onCall: model.onCall, reason: summary.reason, workMode: summary.workMode, handshakes: model.handshakes,
            logins: model.logins,
            httpSessionLosses: model.httpSessionLosses,
            failovers: model.failovers, connects: counters.successfulConnects,
            notifications: counters.messagesDelivered, requestFailures: counters.requestFailures,
            stateFileWrites: stateFileWrites, stateFileWriteErrors: stateFileWriteFailures)
        return AgentMetrics(agent: agent ?? model.username, blocks: blocks, figures: figures)
    }

    /// A number as the exposition writes it: an integer when it is one.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// The families of this agent; with `process`, also those of the daemon as a whole.
    func families(process: Bool) -> [Family] {
        var out: [Family] = []
        let agentLabel = agent.map { "agent=\"\(Self.escape($0))\"" }
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            let isProcess = name == "build_info" || name == "start_time_seconds"
            if isProcess && !process { return }
            let labelled = samples.map { sample -> (labels: String, value: String) in
                guard let agentLabel, !isProcess else { return sample }
                if sample.labels.isEmpty { return ("{\(agentLabel)}", sample.value) }
                return ("{\(agentLabel),\(sample.labels.dropFirst())", sample.value)
            }
            out.append(Family(name: name, type: type, help: help, samples: labelled))
        }
        let number = Self.number
        let summary = AgentSummary(model.cache)
        let stateLabel = Self.agentStates.contains(summary.state) ? summary.state : "other"
        metric("build_info", "gauge", "Version of gws-agentd.", [("{version=\"\(version)\"}", "1")])
        metric(
            "start_time_seconds", "gauge", "When the daemon started, in seconds since the epoch.",
            [("", number(startTime))])
        metric(
            "connected", "gauge", "1 while the Bayeux session is connected.",
            [("", model.connection == .connected ? "1" : "0")])
        metric(
            "connection_state", "gauge", "The connection state (one-hot).",
            StateDocument.ConnectionState.allCases.map {
                ("{state=\"\($0.rawValue)\"}", model.connection == $0 ? "1" : "0")
            })
        metric(
            "synced", "gauge", "1 when the picture reflects a fresh snapshot plus every notification since.",
            [("", model.synced ? "1" : "0")])
        metric(
            "agent_state", "gauge", "The agent's state (one-hot).",
            (Self.agentStates + ["other"]).map { ("{state=\"\($0)\"}", stateLabel == $0 ? "1" : "0") })
        if let dnd = summary.dnd {
            metric("agent_dnd", "gauge", "1 when Do-Not-Disturb is on anywhere.", [("", dnd ? "1" : "0")])
        }
        let agent = StateDocument.Agent(
            username: model.username, cache: model.cache, since: model.since, synced: model.synced,
            lastNotificationAt: nil)
        if let onCall = model.onCall {
            metric(
                "agent_on_call", "gauge", "1 while the agent has a live call (absent while unknown).",
                [("", onCall ? "1" : "0")])
        }
        if model.tracksCalls {
            metric("agent_calls", "gauge", "The agent's live calls.", [("", String(model.cache.calls.count))])
        }
        if let start = agent.stateSince.flatMap(Timestamp.parse) {
            metric(
                "agent_state_since_timestamp_seconds", "gauge",
                "When the agent's current state began (absent while unknown).", [("", number(start))])
        }
        if let start = agent.dndSince.flatMap(Timestamp.parse) {
            metric(
                "agent_dnd_since_timestamp_seconds", "gauge",
                "When the current Do-Not-Disturb value began (absent while unknown).", [("", number(start))])
        }
        metric("bayeux_handshakes_total", "counter", "Successful Bayeux handshakes.", [("", String(model.handshakes))])
        metric("logins_total", "counter", "Logins to GWS, each in a fresh HTTP session.", [("", String(model.logins))])
        metric(
            "http_session_losses_total", "counter", "HTTP sessions GWS no longer knew (HTTP 401 or 403).",
            [("", String(model.httpSessionLosses))])
        metric(
            "failovers_total", "counter", "Moves to the next node of the GWS cluster.", [("", String(model.failovers))])
        metric(
            "bayeux_connects_total", "counter", "Long polls answered successfully.",
            [("", String(counters.successfulConnects))])
        metric(
            "bayeux_request_failures_total", "counter", "Failed Bayeux requests by kind.",
            RequestFailureKind.allCases.map { ("{kind=\"\($0.rawValue)\"}", String(counters.requestFailures[$0] ?? 0)) }
        )
        metric(
            "notifications_total", "counter", "Bayeux deliveries received.", [("", String(counters.messagesDelivered))])
        metric("state_file_writes_total", "counter", "State-file writes.", [("", String(stateFileWrites))])
        metric(
            "state_file_write_errors_total", "counter", "Failed state-file writes.",
            [("", String(stateFileWriteFailures))])
        if let stateFileLastWrite {
            metric(
                "state_file_last_write_timestamp_seconds", "gauge", "When the state file was last written.",
                [("", number(stateFileLastWrite))])
        }
        if let lastNotification {
            metric(
                "last_notification_timestamp_seconds", "gauge", "When the last agent notification arrived.",
                [("", number(lastNotification))])
        }
        return out
    }

    /// A label value as the exposition format writes it.
    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension SessionCounters {
    /// Totals of two counter sets (one Bayeux client's, added to those of earlier clients).
    func adding(_ other: SessionCounters) -> SessionCounters {
        var sum = self
        sum.handshakes += other.handshakes
        sum.successfulHandshakes += other.successfulHandshakes
        sum.connects += other.connects
        sum.successfulConnects += other.successfulConnects
        sum.messagesDelivered += other.messagesDelivered
        sum.messagesUnmatched += other.messagesUnmatched
        sum.staleReplies += other.staleReplies
        sum.ignoredMessages += other.ignoredMessages
        for (kind, count) in other.requestFailures { sum.requestFailures[kind, default: 0] += count }
        for (channel, count) in other.unsuccessfulReplies { sum.unsuccessfulReplies[channel, default: 0] += count }
        for (code, count) in other.errorCodes { sum.errorCodes[code, default: 0] += count }
        return sum
    }
}
