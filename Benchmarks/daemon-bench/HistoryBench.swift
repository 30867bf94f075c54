import AgentOperator
import AgentState
import Foundation
import Systemd

/// `daemon-bench history`: what `gws-agentd history --summary` costs over a day of 1,000
/// agents (a change of each agent every 3 minutes, a resync each at the start: 481,000
/// entries), from parsed entries to the summary's lines; and, when this machine has a
/// journal, the time to read the day's entries of the daemon from it.
struct HistoryBench {
    var agents = 1000
    var changeEvery: Double = 180

    func run() throws {
        let day = 86_400.0
        let start = 1_796_000_000.0
        let statuses = [
            AgentStatus(state: "Ready", dnd: false), AgentStatus(state: "NotReady", reason: "Break", dnd: false),
            AgentStatus(state: "NotReady", workMode: "AfterCallWork", dnd: false),
            AgentStatus(state: "Ready", dnd: true),
        ]
        // The entries as the journal would give them: oldest first, every agent interleaved.
        var fields: [(UInt64, [String: String])] = []
        let steps = Int(day / changeEvery)
        fields.reserveCapacity(agents * (steps + 1))
        for agent in 0..<agents {
            fields.append(
                (
                    UInt64(start * 1_000_000) + UInt64(agent),
                    [
                        "MESSAGE_ID": MessageID.resynced, "_PID": "7", "GWS_USERNAME": "agent\(agent)",
                        "AGENT_STATE": "NotReady", "AGENT_DND": "DND off",
                    ]
                ))
        }
        for step in 1...steps {
            for agent in 0..<agents {
                let status = statuses[(step + agent) % statuses.count]
                let previous = statuses[(step + agent - 1) % statuses.count]
                var entry = [
                    "MESSAGE_ID": MessageID.agentChanged, "_PID": "7", "GWS_USERNAME": "agent\(agent)",
                    "AGENT_STATE": status.state, "AGENT_DND": status.dnd == true ? "DND on" : "DND off",
                    "AGENT_PREVIOUS_STATE": previous.state, "AGENT_PREVIOUS_SECONDS": "180.000",
                ]
                if let reason = status.reason { entry["AGENT_REASON"] = reason }
                if let workMode = status.workMode { entry["AGENT_WORK_MODE"] = workMode }
                fields.append((UInt64((start + Double(step) * changeEvery) * 1_000_000) + UInt64(agent), entry))
            }
        }
        let began = ContinuousClock.now
        var history = AgentHistory(from: start, until: start + day)
        for (realtime, entry) in fields {
            if let event = HistoryEvent(realtime: realtime, fields: entry) { history.add(event) }
        }
        let summary = HistorySummary(from: start, until: start + day, segments: history.finished(now: start + day))
        let lines = HistoryReport.lines(for: summary, json: true)
        let elapsed = began.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            String(
                format: "history: a day of %d agents (%d entries): summary in %.2f s (%.1f µs per entry), %d lines",
                agents, fields.count, seconds, seconds / Double(fields.count) * 1e6, lines.count))
        guard let reader = try? JournalReader(), reader.cutoff != nil else {
            print("history: no journal readable here; the read itself is not measured")
            return
        }
        let readBegan = ContinuousClock.now
        let now = Date().timeIntervalSince1970
        let count = try reader.read(
            messageIDs: Array(HistoryEvent.messageIDs.keys), fields: HistoryEvent.fields,
            since: UInt64((now - day) * 1_000_000), until: UInt64(now * 1_000_000)
        ) { _ in true }
        let read = readBegan.duration(to: .now)
        print("history: read \(count) of this machine's entries of the last day from the journal in \(read)")
    }
}
