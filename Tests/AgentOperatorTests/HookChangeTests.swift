import AgentState
import Testing

@testable import AgentOperator

@Suite("Hooks: what a change is and what a hook sees")
struct HookChangeTests {
    func document(
        seq: Int, state: String = "Ready", dnd: Bool? = false, onCall: Bool? = nil, calls: [StateDocument.Call]? = nil,
        connection: StateDocument.ConnectionState = .connected
    ) -> StateDocument {
        StateDocument(
            generator: "t", pid: 1, invocationID: nil, heartbeatSeconds: 10, seq: seq,
            changedAt: "2026-12-07T09:00:0\(seq)Z",
            connection: .init(state: connection, since: nil, clientID: nil, handshakes: 1, lastError: nil),
            agent: .init(
                username: "agent1", state: state, workMode: nil, reason: nil, dnd: dnd, synced: true, devices: [],
                channels: [], lastNotificationAt: nil, onCall: onCall, calls: calls))
    }

    @Test("State, DND and calls make a change; a new seq with the same picture, or the connection alone, does not")
    func changes() {
        let base = document(seq: 1)
        #expect(HookChange.isChange(from: base, to: document(seq: 2, state: "NotReady")))
        #expect(HookChange.isChange(from: base, to: document(seq: 2, dnd: true)))
        let ringing = [StateDocument.Call(id: "c", state: "Ringing", type: nil, deviceID: nil, since: nil)]
        let answered = [StateDocument.Call(id: "c", state: "Established", type: nil, deviceID: nil, since: nil)]
        #expect(HookChange.isChange(from: base, to: document(seq: 2, onCall: true, calls: ringing)))
        #expect(
            HookChange.isChange(
                from: document(seq: 2, onCall: true, calls: ringing),
                to: document(seq: 3, onCall: true, calls: answered)))
        #expect(!HookChange.isChange(from: base, to: document(seq: 2)))
        #expect(!HookChange.isChange(from: base, to: document(seq: 2, connection: .unconnected)))
    }

    @Test("The environment names the agent, the new and previous values, seq and the file")
    func environment() {
        let change = HookChange(
            previous: document(seq: 1), current: document(seq: 2, state: "NotReady", dnd: nil, onCall: false),
            bytes: [], path: "/run/gws-agentd/agent1.json")
        let environment = change.environment
        #expect(environment["GWS_HOOK_AGENT"] == "agent1")
        #expect(environment["GWS_HOOK_STATE"] == "NotReady")
        #expect(environment["GWS_HOOK_PREVIOUS_STATE"] == "Ready")
        #expect(environment["GWS_HOOK_DND"] == "unknown")
        #expect(environment["GWS_HOOK_PREVIOUS_DND"] == "off")
        #expect(environment["GWS_HOOK_ON_CALL"] == "false")
        #expect(environment["GWS_HOOK_SEQ"] == "2")
        #expect(environment["GWS_HOOK_STATE_FILE"] == "/run/gws-agentd/agent1.json")
    }
}
