import AgentState
import BayeuxCore

/// One agent's metrics as of its last heartbeat: its own families, formatted there (so the
/// cost of formatting is spread over the agents' heartbeats, not paid by the writer), and
/// the figures the daemon-wide series add up.
struct AgentMetrics: Sendable {
    /// One family of this agent: its name and its sample lines, each ending in a newline.
    struct Block: Sendable {
        var family: MetricsText.FamilyHeader
        var lines: String
    }

    var agent: String
    var blocks: [Block]
    var figures: AgentFigures
}

/// What one agent adds to the daemon-wide series.
struct AgentFigures: Sendable, Equatable {
    var connection: StateDocument.ConnectionState
    /// One of ``MetricsText/agentStates`` or `other`.
    var stateLabel: String
    var dnd: Bool?
    /// Whether the agent is on a call (`nil`: calls not followed, or not known).
    var onCall: Bool? = nil
    /// The agent's common Not Ready reason and work mode, when it has one.
    var reason: String? = nil
    var workMode: String? = nil
    var handshakes = 0
    var logins = 0
    var httpSessionLosses = 0
    var failovers = 0
    var connects = 0
    var notifications = 0
    var requestFailures: [RequestFailureKind: Int] = [:]
    var stateFileWrites = 0
    var stateFileWriteErrors = 0
}

/// The daemon's metrics file: the process's families, the daemon-wide series (always, with
/// a fixed number of samples whatever the number of agents), and each agent's own families
/// when ``perAgent`` says so. Rendering is a sum over the agents' figures plus, with
/// per-agent series, a concatenation of the blocks each agent formatted at its heartbeat.
struct FleetMetrics {
    var version: String
    var startTime: Double
    /// Every agent's metrics as of its last heartbeat (or sync, or loss of it).
    var agents: [AgentMetrics]
    /// Agents followed and agents synced, as they stand (not as of the heartbeats).
    var followed: Int
    var synced: Int
    /// Whether each agent's own families (with the `agent` label) are written.
    var perAgent: Bool
    /// How long the executor's jobs ran, when this process runs the executor.
    var executor: ExecutorJobStats? = nil

    func render() -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += MetricsText.FamilyHeader(name: name, type: type, help: help).text
            for (labels, value) in samples { out += "gws_agentd_\(name)\(labels) \(value)\n" }
        }
        family("build_info", "gauge", "Version of gws-agentd.", [("{version=\"\(version)\"}", "1")])
        family(
            "start_time_seconds", "gauge", "When the daemon started, in seconds since the epoch.",
            [("", MetricsText.number(startTime))])
        if let executor {
            var cumulative: UInt64 = 0
            var samples: [(String, String)] = executor.buckets.map { bucket in
                cumulative += bucket.count
                let bound = bucket.bound.map { MetricsText.number($0) } ?? "+Inf"
                return ("{le=\"\(bound)\"}", String(cumulative))
            }
            out +=
                MetricsText.FamilyHeader(
                    name: "executor_job_seconds", type: "histogram",
                    help: "How long the executor's jobs ran (every agent's work shares its one thread)."
                ).text
            for (labels, value) in samples { out += "gws_agentd_executor_job_seconds_bucket\(labels) \(value)\n" }
            out += "gws_agentd_executor_job_seconds_sum \(executor.sumSeconds)\n"
            out += "gws_agentd_executor_job_seconds_count \(executor.count)\n"
            samples = [("", String(executor.maxSeconds))]
            family("executor_job_max_seconds", "gauge", "The longest executor job since the start.", samples)
        }
        let totals = Totals(agents.map(\.figures))
        family("agents", "gauge", "Agents this daemon follows.", [("", String(followed))])
        family("agents_synced", "gauge", "Agents whose picture is synced.", [("", String(synced))])
        family(
            "agents_by_connection_state", "gauge", "Agents in each connection state, as of their last heartbeat.",
            StateDocument.ConnectionState.allCases.map {
                ("{state=\"\($0.rawValue)\"}", String(totals.connection[$0, default: 0]))
            })
        family(
            "agents_by_state", "gauge", "Agents in each agent state, as of their last heartbeat.",
            (MetricsText.agentStates + ["other"]).map { ("{state=\"\($0)\"}", String(totals.state[$0, default: 0])) })
        family(
            "agents_dnd", "gauge", "Agents with Do-Not-Disturb on, as of their last heartbeat.",
            [("", String(totals.dnd))])
        family(
            "agents_by_reason", "gauge",
            "Agents per Not Ready reason, as of their last heartbeat: the \(Self.labelLimit) most common, the rest other.",
            Self.bounded(totals.reason).map { ("{reason=\"\(MetricsText.escape($0.key))\"}", String($0.value)) })
        family(
            "agents_by_work_mode", "gauge",
            "Agents per work mode, as of their last heartbeat: the \(Self.labelLimit) most common, the rest other.",
            Self.bounded(totals.workMode).map { ("{work_mode=\"\(MetricsText.escape($0.key))\"}", String($0.value)) })
        family(
            "agents_on_call", "gauge",
            "Agents on a call (dialing, ringing, established or held), as of their last heartbeat.",
            [("", String(totals.onCall))])
        let sum = totals.sum
        let counters: [(String, String, Int)] = [
            ("fleet_bayeux_handshakes_total", "Successful Bayeux handshakes of every agent followed.", sum.handshakes),
            ("fleet_logins_total", "Logins to GWS of every agent followed.", sum.logins),
            (
                "fleet_http_session_losses_total", "HTTP sessions GWS no longer knew, over every agent followed.",
                sum.httpSessionLosses
            ),
            ("fleet_failovers_total", "Moves to the next node, over every agent followed.", sum.failovers),
            ("fleet_bayeux_connects_total", "Long polls answered successfully, every agent followed.", sum.connects),
            ("fleet_notifications_total", "Bayeux deliveries received by every agent followed.", sum.notifications),
            ("fleet_state_file_writes_total", "State-file writes of every agent followed.", sum.stateFileWrites),
            (
                "fleet_state_file_write_errors_total", "Failed state-file writes of every agent followed.",
                sum.stateFileWriteErrors
            ),
        ]
        for (name, help, value) in counters { family(name, "counter", help, [("", String(value))]) }
        family(
            "fleet_bayeux_request_failures_total", "counter", "Failed Bayeux requests by kind, every agent followed.",
            RequestFailureKind.allCases.map { ("{kind=\"\($0.rawValue)\"}", String(sum.requestFailures[$0] ?? 0)) })
        guard perAgent else { return out }
        // Each family once, with every agent's lines, in the order the families first appear.
        var order: [MetricsText.FamilyHeader] = []
        var lines: [String: String] = [:]
        for agent in agents {
            for block in agent.blocks {
                if lines[block.family.name] == nil {
                    order.append(block.family)
                    lines[block.family.name] = ""
                }
                lines[block.family.name, default: ""] += block.lines
            }
        }
        for header in order {
            out += header.text
            out += lines[header.name] ?? ""
        }
        return out
    }

    /// The most label values a reason or work-mode family has: GWS sites define their own
    /// reasons, and a label per value would let them grow without bound.
    static let labelLimit = 20

    /// The ``labelLimit`` largest counts by value (ties by name), the rest summed as `other`,
    /// in name order: a bounded, stable set of samples.
    static func bounded(_ counts: [String: Int]) -> [(key: String, value: Int)] {
        let ranked = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        var kept = Array(ranked.prefix(labelLimit))
        let rest = ranked.dropFirst(labelLimit).reduce(0) { $0 + $1.value }
        if rest > 0 {
            if let index = kept.firstIndex(where: { $0.key == "other" }) {
                kept[index].value += rest
            } else {
                kept.append((key: "other", value: rest))
            }
        }
        return kept.sorted { $0.key < $1.key }
    }

    /// The daemon-wide sums over every agent's figures.
    private struct Totals {
        var dnd = 0
        var onCall = 0
        var reason: [String: Int] = [:]
        var workMode: [String: Int] = [:]
        var connection: [StateDocument.ConnectionState: Int] = [:]
        var state: [String: Int] = [:]
        var sum: AgentFigures

        init(_ figures: [AgentFigures]) {
            sum = AgentFigures(connection: .stopped, stateLabel: "other", dnd: nil)
            for figure in figures {
                if figure.dnd == true { dnd += 1 }
                if figure.onCall == true { onCall += 1 }
                if let value = figure.reason { reason[value, default: 0] += 1 }
                if let value = figure.workMode { workMode[value, default: 0] += 1 }
                connection[figure.connection, default: 0] += 1
                state[figure.stateLabel, default: 0] += 1
                sum.handshakes += figure.handshakes
                sum.logins += figure.logins
                sum.httpSessionLosses += figure.httpSessionLosses
                sum.failovers += figure.failovers
                sum.connects += figure.connects
                sum.notifications += figure.notifications
                sum.stateFileWrites += figure.stateFileWrites
                sum.stateFileWriteErrors += figure.stateFileWriteErrors
                for (kind, count) in figure.requestFailures { sum.requestFailures[kind, default: 0] += count }
            }
        }
    }
}
