import AgentState
import Testing

@testable import AgentOperator

@Suite("history: the time line and the time per state from journal entries")
struct HistoryTests {
    /// The entries the daemon writes for a scripted run, with the script's own totals.
    struct ScriptedRun {
        var events: [HistoryEvent] = []
        var totals: [String: Double] = [:]
        var reasons: [String: Double] = [:]
        var dnd: [String: Double] = [:]
    }

    /// Agent `agent` resynced at `start` in NotReady, then one step every `step` seconds
    /// for `steps` steps, cycling through states, reasons and DND, as gws-sim's scripted
    /// activity does; the totals are counted from the script, not from the code under test.
    func scriptedRun(agent: String, start: Double, step: Double, steps: Int, until: Double) -> ScriptedRun {
        let cycle: [AgentStatus] = [
            AgentStatus(state: "Ready", dnd: false), AgentStatus(state: "Ready", dnd: true),
            AgentStatus(state: "NotReady", dnd: true), AgentStatus(state: "NotReady", dnd: false),
            AgentStatus(state: "NotReady", workMode: "AfterCallWork", dnd: false),
            AgentStatus(state: "Ready", dnd: false), AgentStatus(state: "NotReady", reason: "OutToLunch", dnd: false),
            AgentStatus(state: "NotReady", workMode: "AuxWork", dnd: false), AgentStatus(state: "NotReady", dnd: false),
        ]
        var run = ScriptedRun()
        var current = AgentStatus(state: "NotReady", dnd: false)
        var since = start
        run.events.append(HistoryEvent(time: start, kind: .resync, pid: "100", agent: agent, status: current))
        func account(until end: Double) {
            let seconds = end - since
            run.totals[current.state, default: 0] += seconds
            if current.state != "Ready" { run.reasons[current.reason ?? "none", default: 0] += seconds }
            run.dnd[current.dnd == true ? "on" : "off", default: 0] += seconds
        }
        for index in 0..<steps {
            let time = start + Double(index + 1) * step
            let next = cycle[index % cycle.count]
            account(until: time)
            run.events.append(
                HistoryEvent(
                    time: time, kind: .change, pid: "100", agent: agent, status: next, previous: current,
                    previousSeconds: time - since))
            current = next
            since = time
        }
        account(until: until)
        return run
    }

    @Test("A scripted run of ten minutes, a change every 7 s: the summary matches the script to the second")
    func scriptedTotals() throws {
        let start = 1_796_000_000.0
        let until = start + 600
        let run = scriptedRun(agent: "agent1", start: start, step: 7, steps: 85, until: until)
        var history = AgentHistory(from: start, until: until)
        for event in run.events { history.add(event) }
        let summary = HistorySummary(from: start, until: until, segments: history.finished(now: until + 60))
        let totals = try #require(summary.agents.first)
        #expect(summary.agents.count == 1)
        for (state, seconds) in run.totals {
            #expect(abs((totals.states[state] ?? 0) - seconds) < 1, "\(state): \(totals.states) vs \(run.totals)")
        }
        for (reason, seconds) in run.reasons {
            #expect(abs((totals.reasons[reason] ?? 0) - seconds) < 1, "\(reason): \(totals.reasons)")
        }
        for (flag, seconds) in run.dnd { #expect(abs((totals.dnd[flag] ?? 0) - seconds) < 1, "\(totals.dnd)") }
        #expect(totals.unknownSeconds == 0)
        #expect(abs(totals.knownSeconds - 600) < 0.001)
        #expect(
            totals.workModes["AfterCallWork"] == Double(7 * 9), "one 7 s step per cycle of nine, nine cycles and a half"
        )
    }

    @Test("Gaps: before the first entry, a lost connection, a stopped daemon, a daemon gone without a word")
    func gaps() throws {
        let t = 1_796_000_000.0
        var history = AgentHistory(from: t, until: t + 1000)
        let ready = AgentStatus(state: "Ready", dnd: false)
        let notReady = AgentStatus(state: "NotReady", reason: "Break", dnd: false)
        // The first entry says the status before it lasted 30 s: 70 s before are unknown.
        history.add(
            HistoryEvent(
                time: t + 100, kind: .change, pid: "1", agent: "a", status: ready, previous: notReady,
                previousSeconds: 30))
        history.add(HistoryEvent(time: t + 200, kind: .connectionLost, pid: "1", agent: "a"))
        history.add(HistoryEvent(time: t + 250, kind: .resync, pid: "1", agent: "a", status: ready))
        history.add(HistoryEvent(time: t + 400, kind: .daemonStopping, pid: "1", agent: nil))
        history.add(HistoryEvent(time: t + 460, kind: .resync, pid: "2", agent: "a", status: notReady))
        // Another agent's entry from process 2 at 700; then process 3 starts without a stop.
        history.add(HistoryEvent(time: t + 700, kind: .change, pid: "2", agent: "b", status: ready))
        history.add(HistoryEvent(time: t + 900, kind: .resync, pid: "3", agent: "a", status: ready))
        let segments = history.finished(now: t + 5000).filter { $0.agent == "a" }
        let summary = try #require(HistorySummary(from: t, until: t + 1000, segments: segments).agents.first)
        #expect(summary.gaps[AgentHistory.Gap.beforeFirstEntry] == 70)
        #expect(summary.gaps[AgentHistory.Gap.connectionLost] == 50)
        #expect(summary.gaps[AgentHistory.Gap.daemonStopped] == 60)
        // Process 2's last word (at 700) ends what it knew of a: 200 s gone.
        #expect(summary.gaps[AgentHistory.Gap.daemonGone] == 200)
        #expect(summary.states["NotReady"] == Double(30 + 240))
        #expect(summary.states["Ready"] == Double(100 + 150 + 100))
        #expect(summary.reasons["Break"] == 270)
        #expect(summary.knownSeconds + summary.unknownSeconds == 1000)
        // The segments tile the window without overlap.
        for (a, b) in zip(segments, segments.dropFirst()) { #expect(a.until == b.from) }
    }

    @Test("The window clips: entries outside it are skipped, an open status ends at the window's end or now")
    func window() {
        let t = 1_796_000_000.0
        var history = AgentHistory(from: t, until: t + 100)
        history.add(HistoryEvent(time: t - 5, kind: .resync, pid: "1", agent: "a", status: AgentStatus(state: "Ready")))
        history.add(
            HistoryEvent(time: t + 10, kind: .resync, pid: "1", agent: "a", status: AgentStatus(state: "Ready")))
        history.add(
            HistoryEvent(time: t + 500, kind: .resync, pid: "1", agent: "a", status: AgentStatus(state: "NotReady")))
        #expect(history.eventsSkipped == 2)
        let summary = HistorySummary(from: t, until: t + 60, segments: history.finished(now: t + 60))
        #expect(summary.agents.first?.states == ["Ready": 50])
        #expect(summary.agents.first?.gaps == [AgentHistory.Gap.beforeFirstEntry: 10])
    }

    @Test("Journal fields become events; other entries and incomplete ones are not")
    func fields() {
        let event = HistoryEvent(
            realtime: 1_796_000_000_250_000,
            fields: [
                "MESSAGE_ID": MessageID.agentChanged, "_PID": "42", "GWS_USERNAME": "agent1", "AGENT_STATE": "NotReady",
                "AGENT_REASON": "Lunch", "AGENT_DND": "DND on", "AGENT_PREVIOUS_STATE": "Ready",
                "AGENT_PREVIOUS_DND": "DND off", "AGENT_PREVIOUS_SECONDS": "41.500",
            ])
        #expect(
            event
                == HistoryEvent(
                    time: 1_796_000_000.25, kind: .change, pid: "42", agent: "agent1",
                    status: AgentStatus(state: "NotReady", reason: "Lunch", dnd: true),
                    previous: AgentStatus(state: "Ready", dnd: false), previousSeconds: 41.5))
        #expect(HistoryEvent(realtime: 1, fields: ["MESSAGE_ID": MessageID.connected, "GWS_USERNAME": "a"]) == nil)
        #expect(HistoryEvent(realtime: 1, fields: ["MESSAGE_ID": MessageID.agentChanged, "GWS_USERNAME": "a"]) == nil)
        #expect(
            HistoryEvent(realtime: 1, fields: ["MESSAGE_ID": MessageID.agentChanged, "AGENT_STATE": "Ready"]) == nil)
        #expect(
            HistoryEvent(realtime: 1, fields: ["MESSAGE_ID": MessageID.daemonStopping, "_PID": "1"])?.kind
                == .daemonStopping)
        let odd = HistoryEvent(
            realtime: 1,
            fields: [
                "MESSAGE_ID": MessageID.agentChanged, "GWS_USERNAME": "a", "AGENT_STATE": "Ready",
                "AGENT_PREVIOUS_SECONDS": "-3",
            ])
        #expect(odd?.previousSeconds == nil, "a negative duration is not believed")
    }

    @Test("Times: RFC 3339, @seconds, now, today, spans back from now; anything else refused")
    func times() {
        let now = 1_796_000_000.5
        #expect(HistoryTime.parse("now", now: now) == now)
        #expect(HistoryTime.parse("-30m", now: now) == now - 1800)
        #expect(HistoryTime.parse("-2d", now: now) == now - 172_800)
        #expect(HistoryTime.parse("@1700000000", now: now) == 1_700_000_000)
        #expect(HistoryTime.parse("today", now: now) == 1_795_996_800)
        #expect(HistoryTime.parse("2026-12-07T09:00:00Z", now: now) == Timestamp.parse("2026-12-07T09:00:00Z"))
        for bad in ["yesterday", "-3w", "@-1", "-x h", ""] {
            #expect(HistoryTime.parse(bad, now: now) == nil, "\(bad)")
        }
    }

    @Test("Text and JSON: a change line says what it replaced and for how long; the summary adds up")
    func rendering() {
        let event = HistoryEvent(
            time: 1_796_000_000, kind: .change, pid: "1", agent: "agent1",
            status: AgentStatus(state: "NotReady", reason: "Lunch", dnd: false),
            previous: AgentStatus(state: "Ready", dnd: false), previousSeconds: 125)
        #expect(
            HistoryReport.line(for: event, json: false)
                == "2026-11-30T00:53:20.000Z  agent1  NotReady (reason Lunch), DND off  (was Ready for 2m)")
        #expect(HistoryReport.line(for: event, json: true).contains(#""previous_seconds":125"#))
        var history = AgentHistory(from: 1_796_000_000, until: 1_796_003_600)
        history.add(event)
        let summary = HistorySummary(
            from: 1_796_000_000, until: 1_796_003_600, segments: history.finished(now: 1_796_003_600))
        let lines = HistoryReport.lines(for: summary, json: false)
        #expect(
            lines.contains { $0.hasPrefix("  state") && $0.contains("NotReady") && $0.hasSuffix("1:00:00") }, "\(lines)"
        )
        #expect(HistoryReport.lines(for: summary, json: true).first?.contains(#""known_s":3600"#) == true)
    }
}
