import BayeuxCore
import GWS
import JSON
import Testing

@testable import AgentState

/// A delivery on `/v2/me/calls`: call `id` in `state`, with a participant and attached data.
func callMessage(_ id: String, _ state: String, kind: String = "StatusChange") -> BayeuxMessage {
    BayeuxMessage(
        channel: "/v2/me/calls",
        [
            "data": [
                "messageType": "CallStateChangeMessage", "notificationType": .string(kind),
                "call": [
                    "id": .string(id), "state": .string(state), "callType": "Inbound",
                    "deviceUri": "http://gws/api/v2/devices/d1", "participants": ["5550100"],
                    "userData": ["account": "12-345"],
                ],
            ]
        ])
}

@Suite("Coordinator: calls")
struct CoordinatorCallsTests {
    static let channels = ["/v2/me/devices", "/v2/me/channels", "/v2/me/calls"]

    /// Connected and resynced with `calls` (nil: the calls read failed).
    func connected(
        calls: [CallResource]? = [], problem: String? = nil, details: Bool = false
    ) throws -> CoordinatorHarness {
        var h = CoordinatorHarness(
            settings: CoordinatorSettings(channels: Self.channels, publishCallDetails: details))
        h.handle(.start)
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        try h.bayeux(.handshook(clientID: "c1"))
        try h.bayeux(.stateChanged(.connected))
        for channel in Self.channels { try h.bayeux(.subscribed(channel)) }
        var resync = snapshot(state: "Ready")
        resync.calls = calls
        resync.callsProblem = problem
        try h.answerSnapshot(.success(resync))
        return h
    }

    func document(_ h: CoordinatorHarness) -> StateDocument.Agent {
        h.model.document(
            header: StateHeader(generator: "t", pid: 1, invocationID: nil, heartbeatSeconds: 10), seq: 1,
            changedAt: h.time
        ).agent
    }

    @Test("A call rung, answered, held, retrieved and released: on_call, state, since and one entry each")
    func lifecycle() throws {
        var h = try connected()
        #expect(document(h).onCall == false)
        #expect(document(h).calls == [])
        var entries: [CoordinatorLog] = []
        for state in ["Ringing", "Established", "Held", "Established", "Released"] {
            h.clock += 9
            let before = h.logs.count
            try h.bayeux(.messages([callMessage("c-1", state)]))
            let new = Array(h.logs.dropFirst(before)).filter { $0.metadata[MessageID.key] == MessageID.callChanged }
            #expect(new.count == 1, "one entry for \(state)")
            entries += new
            let agent = document(h)
            if state == "Released" {
                #expect(agent.onCall == false)
                #expect(agent.calls == [])
            } else {
                #expect(agent.onCall == true)
                let call = try #require(agent.calls?.first)
                #expect(call.id == "c-1")
                #expect(call.state == state)
                #expect(call.type == "Inbound")
                #expect(call.deviceID == "d1")
                #expect(call.since == h.time)
            }
        }
        #expect(
            entries.map(\.message) == [
                "call Ringing", "call Established", "call Held", "call Established", "call Released",
            ])
        #expect(
            entries.map { $0.metadata["call.previous_state"] } == [
                nil, "Ringing", "Established", "Held", "Established",
            ])
        // Ten seconds per step: nine added plus the harness's one per event.
        #expect(entries.dropFirst().allSatisfy { $0.metadata["call.previous_seconds"] == "10.000" }, "\(entries)")
        #expect(entries.map { $0.metadata["agent.on_call"] } == ["true", "true", "true", "true", "false"])
        #expect(entries.allSatisfy { $0.metadata["call.id"] == "c-1" && $0.metadata["gws.device_id"] == "d1" })
        #expect(entries.allSatisfy { $0.level == .info })
    }

    @Test("Participants and attached data are neither kept nor logged unless asked for")
    func personalData() throws {
        var h = try connected()
        try h.bayeux(
            .messages([callMessage("c-1", "Ringing"), callMessage("c-1", "Ringing", kind: "AttachedDataChanged")]))
        let call = try #require(document(h).calls?.first)
        #expect(call.participants == nil)
        #expect(call.attachedData == nil)
        let logged = h.logs.map { "\($0.message) \($0.metadata)" }.joined()
        #expect(!logged.contains("5550100") && !logged.contains("12-345"), "\(logged)")

        var asked = try connected(details: true)
        try asked.bayeux(.messages([callMessage("c-1", "Ringing")]))
        let published = try #require(document(asked).calls?.first)
        #expect(published.participants == ["5550100"])
        #expect(published.attachedData == ["account": "12-345"])
        let loggedAsked = asked.logs.map { "\($0.message) \($0.metadata)" }.joined()
        #expect(!loggedAsked.contains("5550100") && !loggedAsked.contains("12-345"), "never logged")
        // A reload that turns it off forgets what was held.
        asked.handle(.reconfigure(CoordinatorSettings(channels: Self.channels), reconnect: false))
        #expect(document(asked).calls?.first?.participants == nil)
        #expect(document(asked).calls?.first?.attachedData == nil)
    }

    @Test("A resync re-reads the calls: one that ended while disconnected is released, a new one appears")
    func resync() throws {
        var h = try connected()
        try h.bayeux(.messages([callMessage("c-1", "Established")]))
        try h.bayeux(.stateChanged(.rehandshaking))
        try h.bayeux(.handshook(clientID: "c2"))
        try h.bayeux(.stateChanged(.connected))
        for channel in Self.channels { try h.bayeux(.subscribed(channel)) }
        #expect(document(h).calls?.map(\.id) == ["c-1"], "kept until the resync says")
        var resync = snapshot(state: "Ready")
        resync.calls = [CallResource(id: "c-2", state: "Ringing", callType: "Inbound")]
        let before = h.logs.count
        try h.answerSnapshot(.success(resync))
        let agent = document(h)
        #expect(agent.calls?.map(\.id) == ["c-2"])
        #expect(agent.calls?.first?.since == nil, "a REST read does not say when it rang")
        #expect(agent.onCall == true)
        #expect(h.model.synced)
        let entries = h.logs.dropFirst(before).filter { $0.metadata[MessageID.key] == MessageID.callChanged }
        #expect(Set(entries.map(\.message)) == ["call Ringing", "call Released"])
    }

    @Test("A calls read GWS refuses leaves the agent synced and the calls unknown, said once")
    func unreadable() throws {
        var h = try connected(calls: nil, problem: "GWS error 3: Internal error")
        let agent = document(h)
        #expect(h.model.synced)
        #expect(agent.state == "Ready")
        #expect(agent.onCall == nil)
        #expect(agent.calls == [])
        #expect(h.logs.contains { $0.level == .warning && $0.message.contains("calls could not be read") })
        // A notification still tells of a call: on a call is then known.
        try h.bayeux(.messages([callMessage("c-1", "Ringing")]))
        #expect(document(h).onCall == true)
        try h.bayeux(.messages([callMessage("c-1", "Released")]))
        #expect(document(h).onCall == nil, "no call seen, but the list is not known to be complete")
    }

    @Test("Without /v2/me/calls among the channels, calls are not part of the document")
    func notFollowed() throws {
        var h = CoordinatorHarness()
        try h.connect()
        #expect(!h.coordinator.settings.tracksCalls)
        #expect(document(h).calls == nil)
        #expect(document(h).onCall == nil)
        #expect(CoordinatorSettings(channels: ["/v2/me/*"]).tracksCalls)
        #expect(CoordinatorSettings(channels: ["/**"]).tracksCalls)
        #expect(!CoordinatorSettings(channels: ["/v2/me/devices"]).tracksCalls)
    }

    @Test("Malformed and repeated call messages change nothing and log no call entry")
    func malformed() throws {
        var h = try connected()
        let before = h.logs.count
        let broken = BayeuxMessage(
            channel: "/v2/me/calls", ["data": ["messageType": "CallStateChangeMessage", "call": ["state": "Ringing"]]])
        try h.bayeux(.messages([broken, callMessage("gone", "Released")]))
        #expect(document(h).calls == [])
        #expect(!h.logs.dropFirst(before).contains { $0.metadata[MessageID.key] == MessageID.callChanged })
        try h.bayeux(.messages([callMessage("c-1", "Ringing"), callMessage("c-1", "Ringing")]))
        #expect(h.logs.filter { $0.metadata[MessageID.key] == MessageID.callChanged }.count == 1)
    }

    @Test("At most 256 live calls are held; the rest are counted as ignored")
    func cap() throws {
        var h = try connected()
        try h.bayeux(.messages((0..<300).map { callMessage("c\($0)", "Ringing") }))
        #expect(document(h).calls?.count == AgentCache.maximumEntries)
        #expect(h.model.cache.ignoredEntries == 300 - AgentCache.maximumEntries)
    }
}
