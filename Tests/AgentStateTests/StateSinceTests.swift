import BayeuxCore
import GWS
import Testing

@testable import AgentState

/// `state_since`, `dnd_since` and each device's and channel's `since`: set by the
/// notification that brought a value, kept by a snapshot that confirms it, unknown when a
/// snapshot brought it, and carried over a restart by the state file.
@Suite("Since when each state has held")
struct StateSinceTests {
    let header = StateHeader(generator: "gws-agentd test", pid: 1, invocationID: nil, heartbeatSeconds: 10)

    func agent(_ h: CoordinatorHarness) -> StateDocument.Agent {
        h.model.document(header: header, seq: 1, changedAt: h.time).agent
    }

    @Test("Values learned from the first snapshot have no known start")
    func snapshotIsUnknown() throws {
        var h = CoordinatorHarness()
        try h.connect()
        let a = agent(h)
        #expect(a.state == "NotReady")
        #expect(a.stateSince == nil)
        #expect(a.dndSince == nil)
        #expect(a.devices.map(\.since) == [nil])
        #expect(a.channels.map(\.since) == [nil])
    }

    @Test("A notification sets the start of what it changed, and only of that")
    func notificationSetsSince() throws {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(.messages([deviceMessage("Ready"), channelMessage("Ready")]))
        let readyAt = h.time
        var a = agent(h)
        #expect(a.state == "Ready")
        #expect(a.stateSince == readyAt)
        #expect(a.devices.first?.since == readyAt)
        #expect(a.channels.first?.since == readyAt)
        // DND did not change: its start is still unknown.
        #expect(a.dndSince == nil)

        try h.bayeux(.messages([deviceMessage("Ready", dnd: true)]))
        let dndAt = h.time
        a = agent(h)
        #expect(a.dndSince == dndAt)
        #expect(a.stateSince == readyAt, "a DND change does not restart the state")
        #expect(a.devices.first?.since == readyAt)

        // A notification that repeats the current value changes no start.
        try h.bayeux(.messages([deviceMessage("Ready", dnd: true), channelMessage("Ready", dnd: true)]))
        a = agent(h)
        #expect(a.stateSince == readyAt)
        #expect(a.dndSince == dndAt)
    }

    @Test("A resync that finds nothing changed keeps the starts")
    func resyncKeeps() throws {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(.messages([deviceMessage("Ready"), channelMessage("Ready")]))
        let readyAt = h.time
        try h.rehandshake(as: "c2", resyncWith: snapshot(state: "Ready"))
        #expect(h.model.synced)
        let a = agent(h)
        #expect(a.stateSince == readyAt)
        #expect(a.devices.first?.since == readyAt)
        #expect(a.channels.first?.since == readyAt)
    }

    @Test("A resync that finds a change no notification announced makes its start unknown")
    func resyncChangeIsUnknown() throws {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(.messages([deviceMessage("Ready"), channelMessage("Ready")]))
        let readyAt = h.time
        // DND went on while the session was down; the state did not change.
        try h.rehandshake(as: "c2", resyncWith: snapshot(state: "Ready", dnd: true))
        var a = agent(h)
        #expect(a.dnd == true)
        #expect(a.dndSince == nil)
        #expect(a.stateSince == readyAt)

        // The same when the state itself changed unannounced, down to each channel.
        try h.rehandshake(as: "c3", resyncWith: snapshot(state: "NotReady", dnd: true))
        a = agent(h)
        #expect(a.state == "NotReady")
        #expect(a.stateSince == nil)
        #expect(a.devices.first?.since == nil)
        #expect(a.channels.first?.since == nil)
    }

    @Test("A notification that arrived during the resync keeps its time over the older snapshot")
    func bufferedNotificationKeepsItsTime() throws {
        var h = CoordinatorHarness()
        h.handle(.start)
        try h.answerSnapshot(.success(snapshot(state: "NotReady")))
        try h.bayeux(.handshook(clientID: "c1"))
        try h.bayeux(.stateChanged(.connected))
        try h.bayeux(.subscribed("/v2/me/devices"))
        try h.bayeux(.subscribed("/v2/me/channels"))
        try h.bayeux(.messages([deviceMessage("Ready"), channelMessage("Ready")]))
        let readyAt = h.time
        try h.answerSnapshot(.success(snapshot(state: "NotReady")))
        let a = agent(h)
        #expect(a.state == "Ready")
        #expect(a.stateSince == readyAt)
    }

    @Test("Mixed begins when devices and channels start to disagree, and holds while they do")
    func mixed() throws {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(.messages([channelMessage("Ready")]))
        let mixedAt = h.time
        var a = agent(h)
        #expect(a.state == "Mixed")
        #expect(a.stateSince == mixedAt)
        #expect(a.channels.first?.since == mixedAt)
        #expect(a.devices.first?.since == nil, "the device did not change")

        // Still disagreeing, in another way: Mixed keeps its start; the device's moves.
        try h.bayeux(.messages([deviceMessage("LoggedOut")]))
        let loggedOutAt = h.time
        a = agent(h)
        #expect(a.state == "Mixed")
        #expect(a.stateSince == mixedAt)
        #expect(a.devices.first?.since == loggedOutAt)

        // Agreeing again starts the common state.
        try h.bayeux(.messages([deviceMessage("Ready")]))
        let readyAt = h.time
        a = agent(h)
        #expect(a.state == "Ready")
        #expect(a.stateSince == readyAt)
    }

    /// The document a previous run left, read back as the daemon reads the file.
    func previousRun(state: String, username: String = "agent1") throws -> (StateDocument, String) {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(.messages([deviceMessage(state, dnd: true), channelMessage(state, dnd: true)]))
        let at = h.time
        var document = h.model.document(header: header, seq: 9, changedAt: at)
        document.agent.username = username
        return (try StateDocument.decode(document.encoded()), at)
    }

    @Test("A restart keeps the starts when the file is the same agent's and the snapshot agrees")
    func restartKeeps() throws {
        let (file, at) = try previousRun(state: "Ready")
        #expect(file.agent.stateSince == at)
        var h = CoordinatorHarness()
        let remembered = h.coordinator.remember(file)
        #expect(remembered)
        // Before the snapshot the picture is empty: no start is reported for it.
        #expect(agent(h).stateSince == nil)
        try h.connect(with: snapshot(state: "Ready", dnd: true))
        let a = agent(h)
        #expect(a.stateSince == at)
        #expect(a.dndSince == at)
        #expect(a.devices.first?.since == at)
        #expect(a.channels.first?.since == at)
    }

    @Test("A restart forgets the starts the snapshot contradicts, and those of another agent")
    func restartForgets() throws {
        let (file, at) = try previousRun(state: "Ready")
        var h = CoordinatorHarness()
        let remembered = h.coordinator.remember(file)
        #expect(remembered)
        // The state changed while the daemon was down; DND did not.
        try h.connect(with: snapshot(state: "NotReady", dnd: true))
        var a = agent(h)
        #expect(a.stateSince == nil)
        #expect(a.devices.first?.since == nil)
        #expect(a.dndSince == at)

        let (other, _) = try previousRun(state: "Ready", username: "agent2")
        var h2 = CoordinatorHarness()
        let rememberedOther = h2.coordinator.remember(other)
        #expect(rememberedOther == false)
        try h2.connect(with: snapshot(state: "Ready", dnd: true))
        a = agent(h2)
        #expect(a.stateSince == nil)
        #expect(a.dndSince == nil)
    }

    @Test("The starts survive the state file's encoding and are null when unknown")
    func encoding() throws {
        var h = CoordinatorHarness()
        try h.connect()
        var text = String(
            decoding: h.model.document(header: header, seq: 1, changedAt: h.time).encoded(), as: UTF8.self)
        #expect(text.contains(#""state_since":null,"dnd_since":null"#))
        try h.bayeux(.messages([channelMessage("Ready")]))
        let at = h.time
        let document = h.model.document(header: header, seq: 2, changedAt: at)
        text = String(decoding: document.encoded(), as: UTF8.self)
        #expect(text.contains(#""state_since":"\#(at)""#))
        #expect(try StateDocument.decode(document.encoded()) == document)
    }
}
