import BayeuxCore
import Testing

@testable import AgentState

/// The events a log pipeline alerts on carry their documented, stable MESSAGE_IDs.
@Suite("MESSAGE_IDs on the events pipelines match")
struct MessageIDTests {
    func ids(_ logs: [CoordinatorLog]) -> [String: String] {
        var found: [String: String] = [:]
        for log in logs { if let id = log.metadata[MessageID.key] { found[log.message] = id } }
        return found
    }

    @Test("Connected, resynced, agent changed, connection lost, giving up")
    func events() throws {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(.messages([deviceMessage("Ready"), channelMessage("Ready")]))
        try h.bayeux(.stateChanged(.unconnected))
        let found = ids(h.logs)
        #expect(found["connected to GWS"] == "c7f04c217e7c42b7a35008fb02cf6f5f")
        #expect(found["resynchronised from the REST snapshot"] == "f31531c358e94a5f9fc987865cda9119")
        #expect(found["agent Ready, DND off"] == "b0ca0bc2294541499c1bfe437f3c50e3")
        #expect(found["connection to GWS lost; retrying"] == "9b56046085274905a5d5c2f264c53b4f")
        // Every ID is a 128-bit hex value, and each event has its own.
        let all = [
            MessageID.connected, MessageID.connectionLost, MessageID.resynced, MessageID.agentChanged,
            MessageID.givingUp, MessageID.operatorCommand, MessageID.callChanged, MessageID.daemonStopping,
            MessageID.partChanged,
        ]
        #expect(Set(all).count == all.count)
        #expect(all.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
    }
}
