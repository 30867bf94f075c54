import JSON
import Testing

@testable import BayeuxCore

/// Drops every outgoing publish and tags incoming deliveries; proves the hooks run.
struct TaggingExtension: BayeuxExtension {
    var seen = 0
    mutating func incoming(_ message: inout BayeuxMessage) -> Bool {
        seen += 1
        if message.channel == "/drop" { return false }
        message.fields["tagged"] = true
        return true
    }
}

@Suite("Extensions and the ack extension")
struct ExtensionTests {
    @Test("Incoming extensions may change or drop messages before routing")
    func incomingHook() throws {
        var h = SessionHarness(extensions: [TaggingExtension()], subscriptions: ["/**"])
        try h.connect()
        try h.respond(on: "/meta/connect", with: [event("/keep", 1), event("/drop", 2), h.reply("/meta/connect")])
        #expect(h.delivered.map(\.channel) == ["/keep"])
        #expect(h.delivered.first?.fields["tagged"] == true)
    }

    @Test("The ack extension offers acks, then acknowledges each batch on the next connect")
    func ackFlow() throws {
        var h = SessionHarness(extensions: [AckExtension()], subscriptions: ["/a"])
        h.handle(.start)
        #expect(try h.message(on: "/meta/handshake").ext?["ack"] == true)
        try h.respond(
            on: "/meta/handshake",
            with: [h.reply("/meta/handshake", ["clientId": "c1", "ext": ["ack": ["enabled": true, "batch": true]]])])
        #expect(try h.message(on: "/meta/connect").ext?["ack"] == 0)
        try h.respond(on: "/meta/connect", with: [event("/a", 1), h.reply("/meta/connect", ["ext": ["ack": 7]])])
        #expect(try h.message(on: "/meta/connect").ext?["ack"] == 7)
        // A lost reply: the retry still acknowledges 7, so the server re-sends batch 8.
        try h.fail(on: "/meta/connect", .reset)
        try h.fireTimer()
        #expect(try h.message(on: "/meta/connect").ext?["ack"] == 7)
    }

    @Test("Without server support no ack is sent, and the batch restarts at each handshake")
    func ackNotOffered() throws {
        var h = SessionHarness(extensions: [AckExtension()])
        h.handle(.start)
        try h.respond(on: "/meta/handshake", with: [h.reply("/meta/handshake", ["clientId": "c1"])])
        #expect(try h.message(on: "/meta/connect").ext == nil)
        var ack = AckExtension()
        var handshake = BayeuxMessage(channel: "/meta/handshake")
        _ = ack.outgoing(&handshake)
        var reply = BayeuxMessage(channel: "/meta/handshake", ["successful": true, "ext": ["ack": true]])
        _ = ack.incoming(&reply)
        var connectReply = BayeuxMessage(channel: "/meta/connect", ["successful": true, "ext": ["ack": 3]])
        _ = ack.incoming(&connectReply)
        #expect(ack.batch == 3)
        _ = ack.outgoing(&handshake)
        #expect(ack.batch == 0)
        #expect(!ack.enabled)
    }
}
