import AgentState
import Testing

@testable import AgentOperator

/// How `gws-agentd status` says for how long each state has held.
@Suite("Status durations")
struct StatusTextTests {
    static let durations: [(Double, String)] = [
        (0, "0s"), (59.9, "59s"), (60, "1m"), (2850, "47m"), (7500, "2h05m"), (273_659, "3d04h"), (-5, "0s"),
        (Double.infinity, "0s"),
    ]

    @Test("Durations read as an operator says them", arguments: durations)
    func elapsed(seconds: Double, text: String) {
        #expect(StatusText.elapsed(seconds) == text)
    }

    @Test("The agent line says for how long when the start is known, and nothing when it is not")
    func agentLine() throws {
        let now = try #require(Timestamp.parse("2026-12-02T12:00:00.000Z"))
        var agent = StateDocument.Agent(
            username: "agent1", state: "NotReady", workMode: "AuxWork", reason: "Lunch", dnd: false, synced: true,
            devices: [], channels: [], lastNotificationAt: nil, stateSince: "2026-12-02T11:13:00.000Z",
            dndSince: "2026-12-02T09:55:00.000Z")
        #expect(
            StatusText.agentLine(agent, now: now) == "NotReady (AuxWork, reason Lunch) for 47m, DND off for 2h05m")
        agent.dndSince = nil
        #expect(StatusText.agentLine(agent, now: now) == "NotReady (AuxWork, reason Lunch) for 47m, DND off")
        #expect(StatusText.agentLine(agent) == "NotReady (AuxWork, reason Lunch), DND off")
    }

    @Test("On a call, the agent line and the summary say which state the call is in and for how long")
    func calls() throws {
        let now = try #require(Timestamp.parse("2026-12-02T12:00:00.000Z"))
        var agent = StateDocument.Agent(
            username: "agent1", state: "Ready", workMode: nil, reason: nil, dnd: false, synced: true, devices: [],
            channels: [], lastNotificationAt: nil, onCall: false, calls: [])
        #expect(StatusText.agentLine(agent, now: now) == "Ready, DND off")
        agent.onCall = true
        agent.calls = [
            StateDocument.Call(
                id: "c1", state: "Held", type: "Inbound", deviceID: "d1", since: "2026-12-02T11:59:48.000Z")
        ]
        #expect(StatusText.agentLine(agent, now: now) == "Ready, DND off, on a call (Held for 12s)")
        agent.calls?.append(StateDocument.Call(id: "c2", state: "Ringing", type: nil, deviceID: nil, since: nil))
        #expect(StatusText.agentLine(agent, now: now) == "Ready, DND off, on a call (Ringing, 2 calls)")
        let document = StateDocument(
            generator: "t", pid: 1, invocationID: nil, heartbeatSeconds: 10, seq: 1, changedAt: "x",
            connection: .init(state: .connected, since: nil, clientID: nil, handshakes: 1, lastError: nil),
            agent: agent)
        let lines = StatusText.summary(
            StateFileInspection(path: "/run/s.json", result: .success(document), age: 1, writerAlive: true), now: now)
        #expect(lines.contains("call        c1: Held for 12s (Inbound, device d1)"), "\(lines)")
        #expect(lines.contains("call        c2: Ringing"), "\(lines)")
        agent.onCall = nil
        agent.calls = []
        let unknown = StateDocument(
            generator: "t", pid: 1, invocationID: nil, heartbeatSeconds: 10, seq: 1, changedAt: "x",
            connection: document.connection, agent: agent)
        let unknownLines = StatusText.summary(
            StateFileInspection(path: "/run/s.json", result: .success(unknown), age: 1, writerAlive: true), now: now)
        #expect(unknownLines.contains { $0.hasPrefix("calls       unknown") }, "\(unknownLines)")
    }
}

/// What a server sent cannot reach a terminal or a text log as control characters.
@Suite("Terminal and text-log escaping")
struct TerminalEscapingTests {
    @Test("A console line escapes control characters and keeps one newline")
    func console() {
        let hostile = "device \u{1b}]0;pwned\u{7}x\nFAKE: line"
        #expect(Console.terminalLine(hostile) == "device \\u{1b}]0;pwned\\u{7}x\\u{a}FAKE: line\n")
        #expect(Console.terminalLine(#"{"a":"b"}"#) == "{\"a\":\"b\"}\n", "JSON lines pass unchanged")
    }
}
