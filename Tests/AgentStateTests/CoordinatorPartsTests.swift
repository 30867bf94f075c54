import BayeuxCore
import Testing

@testable import AgentState

/// The journal entries of single devices and channels.
@Suite("Coordinator: device and channel entries")
struct CoordinatorPartsTests {
    /// The entries of parts among `logs`.
    private func parts(_ logs: some Sequence<CoordinatorLog>) -> [CoordinatorLog] {
        logs.filter { $0.metadata[MessageID.key] == MessageID.partChanged }
    }

    @Test("Each device and channel that changes gets one entry of its own, after the agent's; a repeat gets none")
    func partEntries() throws {
        var h = CoordinatorHarness()
        try h.connect()
        let before = h.logs.count
        try h.bayeux(.messages([deviceMessage("Ready"), channelMessage("Ready")]))
        let entries = Array(h.logs.dropFirst(before))
        let partEntries = parts(entries)
        #expect(partEntries.map(\.message) == ["device d1 Ready, DND off", "channel voice Ready, DND off"])
        #expect(partEntries.first?.metadata["gws.device_id"] == "d1")
        #expect(partEntries.first?.metadata["part.kind"] == "device")
        #expect(partEntries.last?.metadata["gws.channel"] == "voice")
        #expect(partEntries.allSatisfy { $0.metadata["part.previous_state"] == "NotReady" && $0.level == .info })
        // The snapshot did not say when NotReady began.
        #expect(partEntries.allSatisfy { $0.metadata["part.previous_seconds"] == nil })
        #expect(entries.first?.metadata[MessageID.key] == MessageID.agentChanged, "the agent's entry first")
        // The same values again: no entry.
        let again = h.logs.count
        try h.bayeux(.messages([deviceMessage("Ready"), channelMessage("Ready")]))
        #expect(parts(h.logs.dropFirst(again)).isEmpty)
        // Only the channel's DND: its entry, without seconds (its state did not change).
        h.clock += 20
        try h.bayeux(.messages([channelMessage("Ready", dnd: true)]))
        let dnd = try #require(parts(h.logs).last)
        #expect(dnd.message == "channel voice Ready, DND on")
        #expect(dnd.metadata["part.previous_dnd"] == "DND off")
        #expect(dnd.metadata["part.previous_seconds"] == nil, "\(dnd.metadata)")
        // A state change of the device: the seconds since its Ready began (the notification
        // two events and 20 s ago, one second per handled event).
        try h.bayeux(.messages([deviceMessage("NotReady")]))
        let device = try #require(parts(h.logs).last)
        #expect(device.message == "device d1 NotReady, DND off")
        #expect(device.metadata["part.previous_state"] == "Ready")
        #expect(device.metadata["part.previous_seconds"] == "23.000", "\(device.metadata)")
    }

    @Test("A reply with many changes of one channel logs its net change once, and names it once")
    func oneEntryPerReply() throws {
        var h = CoordinatorHarness()
        try h.connect()
        let before = h.logs.count
        let burst = (0..<500).map { channelMessage($0 % 2 == 0 ? "Ready" : "NotReady") } + [channelMessage("Ready")]
        try h.bayeux(.messages(burst))
        let entries = Array(h.logs.dropFirst(before))
        #expect(parts(entries).map(\.message) == ["channel voice Ready, DND off"])
        let agent = entries.filter { $0.metadata[MessageID.key] == MessageID.agentChanged }
        #expect(agent.count <= 1)
        #expect(agent.allSatisfy { $0.metadata["gws.channel"] == "voice" }, "\(agent.map(\.metadata))")
        // Changes that cancel out within a reply: nothing to log.
        let quiet = h.logs.count
        try h.bayeux(.messages([channelMessage("NotReady"), channelMessage("Ready")]))
        #expect(parts(h.logs.dropFirst(quiet)).isEmpty)
    }

    @Test("A reason and work mode are in the text and the fields, with what they replaced")
    func reasonAndWorkMode() throws {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(
            .messages(
                bothMessages("NotReady", reason: "Lunch", workMode: "AuxWork").filter {
                    $0.channel == "/v2/me/channels"
                }))
        let entry = try #require(parts(h.logs).last)
        #expect(entry.message == "channel voice NotReady (AuxWork, reason Lunch), DND off")
        #expect(entry.metadata["part.reason"] == "Lunch")
        #expect(entry.metadata["part.work_mode"] == "AuxWork")
        try h.bayeux(.messages([channelMessage("Ready")]))
        let back = try #require(parts(h.logs).last)
        #expect(back.metadata["part.previous_reason"] == "Lunch")
        #expect(back.metadata["part.previous_work_mode"] == "AuxWork")
        #expect(back.metadata["part.reason"] == nil)
    }
}
