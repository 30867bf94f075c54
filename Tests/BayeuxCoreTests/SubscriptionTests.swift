import JSON
import Testing

@testable import BayeuxCore

@Suite("Subscriptions")
struct SubscriptionTests {
    @Test("Subscriptions made before the handshake go after it with the new clientId, ahead of the first connect")
    func heldUntilHandshake() throws {
        var h = SessionHarness(subscriptions: ["/v2/me/devices", "/v2/me/channels"])
        h.handle(.start)
        #expect(h.sent(on: "/meta/subscribe").isEmpty)
        try h.respond(on: "/meta/handshake", with: [h.reply("/meta/handshake", ["clientId": "c9"])])
        // One request: both subscriptions, then the connect that asks to be answered at once.
        #expect(h.open.count == 1)
        let batch = try #require(h.openRequest(on: "/meta/subscribe"))
        #expect(batch.messages.map(\.channel) == ["/meta/subscribe", "/meta/subscribe", "/meta/connect"])
        #expect(batch.messages.allSatisfy { $0.clientId == "c9" })
        #expect(batch.messages.last?.advice?.objectValue?["timeout"] == 0)
        let replies = batch.messages.dropLast().map { message -> BayeuxMessage in
            var reply = BayeuxMessage(channel: "/meta/subscribe", ["successful": true])
            reply.id = message.id
            return reply
        }
        try h.respond(on: "/meta/subscribe", with: replies)
        #expect(h.actions.contains(.subscribed("/v2/me/devices")))
        #expect(h.actions.contains(.subscribed("/v2/me/channels")))
        // The next connect is held by the server, so it carries nothing else.
        let poll = try #require(h.openRequest(on: "/meta/connect"))
        #expect(poll.messages.map(\.channel) == ["/meta/connect"])
        #expect(poll.isLongPoll)
    }

    @Test("A denied subscription is reported once and the others are kept")
    func denied() throws {
        var h = SessionHarness(subscriptions: ["/a", "/b"])
        try h.handshake()
        let batch = try #require(h.openRequest(on: "/meta/subscribe"))
        var denied = BayeuxMessage(
            channel: "/meta/subscribe", ["successful": false, "error": "403:c1,/a:Subscription denied"])
        denied.id = batch.messages[0].id
        var accepted = BayeuxMessage(channel: "/meta/subscribe", ["successful": true])
        accepted.id = batch.messages[1].id
        try h.respond(on: "/meta/subscribe", with: [denied, accepted])
        #expect(h.actions.contains(.subscriptionFailed("/a", error: "403:c1,/a:Subscription denied")))
        #expect(h.actions.contains(.subscribed("/b")))
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        #expect(h.sent(on: "/meta/subscribe").count == 2)
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect"), event("/b", 1)])
        #expect(h.delivered == [event("/b", 1)])
    }

    @Test("A subscribe refused with 402 is re-sent after the re-handshake the connect loop drives")
    func subscribe402() throws {
        var h = SessionHarness(subscriptions: ["/a"])
        try h.handshake()
        try h.respond(
            on: "/meta/subscribe",
            with: [h.reply("/meta/subscribe", successful: false, ["error": "402::session_unknown"])])
        try h.respond(
            on: "/meta/connect",
            with: [
                h.reply(
                    "/meta/connect", successful: false,
                    ["error": "402::session_unknown", "advice": ["reconnect": "handshake"]])
            ])
        try h.connect(clientId: "c2")
        #expect(h.sent(on: "/meta/subscribe").map(\.clientId) == ["c1", "c2"])
    }

    @Test("A re-handshake while a subscribe is in flight leaves exactly one subscription")
    func rehandshakeDuringSubscribe() throws {
        var h = SessionHarness()
        try h.connect()
        // Subscribed while connected: a request of its own, beside the held connect.
        h.handle(.subscribe("/a"))
        let oldSubscribe = try #require(h.openRequest(on: "/meta/subscribe"))
        #expect(!oldSubscribe.isLongPoll)
        try h.respond(
            on: "/meta/connect",
            with: [h.reply("/meta/connect", successful: false, ["advice": ["reconnect": "handshake"]])])
        #expect(h.actions.contains(.cancel([oldSubscribe.id])))
        try h.respond(on: "/meta/handshake", with: [h.reply("/meta/handshake", ["clientId": "c2"])])
        var late = BayeuxMessage(channel: "/meta/subscribe", ["successful": true])
        late.id = oldSubscribe.messages[0].id
        h.handle(.responseReceived(oldSubscribe.id, [late]))
        #expect(!h.actions.contains(.subscribed("/a")))
        try h.respond(on: "/meta/subscribe", with: [h.reply("/meta/subscribe")])
        #expect(h.actions.filter { $0 == .subscribed("/a") }.count == 1)
        #expect(h.sent(on: "/meta/subscribe").filter { $0.clientId == "c2" }.count == 1)
    }

    @Test("Wildcard subscriptions route deliveries as the server matches them")
    func wildcardRouting() throws {
        var h = SessionHarness(subscriptions: ["/v2/me/*"])
        try h.connect()
        try h.respond(
            on: "/meta/connect",
            with: [
                event("/v2/me/devices", 1), event("/v2/me/devices/x", 2), event("/v2/other", 3),
                h.reply("/meta/connect"),
            ])
        #expect(h.delivered == [event("/v2/me/devices", 1)])
        #expect(h.machine.counters.messagesUnmatched == 2)
    }

    @Test("A channel unsubscribed during an outage is not subscribed again")
    func unsubscribeDuringOutage() throws {
        var h = SessionHarness(subscriptions: ["/a", "/b"])
        try h.connect()
        try h.respond(
            on: "/meta/connect",
            with: [h.reply("/meta/connect", successful: false, ["advice": ["reconnect": "handshake"]])])
        h.handle(.unsubscribe("/a"))
        #expect(h.sent(on: "/meta/unsubscribe").isEmpty)
        try h.connect(clientId: "c2")
        #expect(h.sent(on: "/meta/subscribe").filter { $0.clientId == "c2" }.map(\.subscriptions) == [["/b"]])
    }

    @Test("Unsubscribing a live subscription sends one unsubscribe and stops its deliveries")
    func unsubscribeLive() throws {
        var h = SessionHarness(subscriptions: ["/a"])
        try h.connect()
        h.handle(.unsubscribe("/a"))
        let message = try h.message(on: "/meta/unsubscribe")
        #expect(message.subscriptions == ["/a"])
        try h.respond(on: "/meta/connect", with: [event("/a", 1), h.reply("/meta/connect")])
        #expect(h.delivered.isEmpty)
    }

    @Test("Subscribing twice sends one subscribe; invalid names are refused locally")
    func duplicatesAndInvalid() throws {
        var h = SessionHarness()
        try h.connect()
        h.handle(.subscribe("/a"))
        h.handle(.subscribe("/a"))
        #expect(h.sent(on: "/meta/subscribe").count == 1)
        h.handle(.subscribe("no-slash"))
        h.handle(.subscribe("/meta/connect"))
        h.handle(.subscribe("/a/*/b"))
        #expect(h.actions.filter { if case .subscriptionFailed = $0 { return true } else { return false } }.count == 3)
    }

    @Test("A subscribe lost in transit with the first connect is sent again with the connect retried")
    func lostSubscribeResent() throws {
        var h = SessionHarness(subscriptions: ["/a"])
        try h.handshake()
        try h.fail(on: "/meta/subscribe", .reset)
        #expect(h.open.isEmpty)
        try h.fireTimer()
        #expect(h.sent(on: "/meta/subscribe").count == 2)
        try h.respond(on: "/meta/subscribe", with: [h.reply("/meta/subscribe")])
        #expect(h.actions.filter { $0 == .subscribed("/a") }.count == 1)
    }

    @Test("Subscriptions a response leaves unanswered are sent again after the next connect")
    func unansweredSubscribeResent() throws {
        var h = SessionHarness(subscriptions: ["/a"])
        try h.handshake()
        // The server answers the first connect and ignores the subscribe beside it.
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        #expect(h.sent(on: "/meta/subscribe").count == 1)
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        #expect(h.sent(on: "/meta/subscribe").count == 2)
        try h.respond(on: "/meta/subscribe", with: [h.reply("/meta/subscribe")])
        #expect(h.actions.filter { $0 == .subscribed("/a") }.count == 1)
    }

    @Test("A subscribe lost on its own is re-sent after the next successful connect")
    func lostLoneSubscribeResent() throws {
        var h = SessionHarness(subscriptions: ["/a"])
        try h.connect()
        h.handle(.subscribe("/b"))
        try h.fail(on: "/meta/subscribe", .reset)
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        #expect(h.sent(on: "/meta/subscribe").filter { $0.subscriptions == ["/b"] }.count == 2)
    }
}

@Suite("Disconnect and restart")
struct DisconnectTests {
    @Test("Disconnect sends /meta/disconnect and ends on its reply")
    func graceful() throws {
        var h = SessionHarness()
        try h.connect()
        h.handle(.disconnect)
        let message = try h.message(on: "/meta/disconnect")
        #expect(message.clientId == "c1")
        #expect(try #require(h.openRequest(on: "/meta/disconnect")).timeout == .seconds(2))
        try h.respond(on: "/meta/disconnect", with: [h.reply("/meta/disconnect")])
        #expect(h.terminated == .disconnected)
        #expect(h.open.isEmpty)
        #expect(h.machine.state == .disconnected)
    }

    @Test("A server that never answers the disconnect is dropped at the deadline")
    func deadline() throws {
        var h = SessionHarness(configuration: SessionConfiguration(disconnectTimeout: .milliseconds(1500)))
        try h.connect()
        h.handle(.disconnect)
        try h.fireTimer()
        #expect(h.now.offset == .milliseconds(1500))
        #expect(h.terminated == .disconnected)
        #expect(h.open.isEmpty)
    }

    @Test("The held poll, answered with 402 and handshake advice during the disconnect, starts nothing")
    func heldPollDuringDisconnect() throws {
        var h = SessionHarness()
        try h.connect()
        #expect(h.openConnects == 1)
        h.handle(.disconnect)
        let handshakes = h.sent(on: "/meta/handshake").count
        let reply = try h.reply(
            "/meta/connect", successful: false, ["error": "402::session_unknown", "advice": ["reconnect": "handshake"]])
        try h.respond(on: "/meta/connect", with: [reply])
        #expect(h.sent(on: "/meta/handshake").count == handshakes)
        #expect(h.sent(on: "/meta/connect").count == 2)
        #expect(h.timer?.id != nil)
        try h.respond(on: "/meta/disconnect", with: [h.reply("/meta/disconnect")])
        #expect(h.terminated == .disconnected)
        #expect(h.open.isEmpty)
    }

    @Test("A held poll that fails during the disconnect is not retried")
    func heldPollFailsDuringDisconnect() throws {
        var h = SessionHarness()
        try h.connect()
        h.handle(.disconnect)
        try h.fail(on: "/meta/connect", .reset)
        #expect(h.sent(on: "/meta/connect").count == 2)
        #expect(h.machine.state == .connected)
        try h.respond(on: "/meta/disconnect", with: [h.reply("/meta/disconnect")])
        #expect(h.terminated == .disconnected)
    }

    @Test("Disconnect before any session ends at once")
    func beforeSession() throws {
        var h = SessionHarness()
        h.handle(.start)
        h.handle(.disconnect)
        #expect(h.terminated == .disconnected)
        #expect(h.sent(on: "/meta/disconnect").isEmpty)
        #expect(h.open.isEmpty)
    }

    @Test("A session restarted after it ended starts clean")
    func restart() throws {
        var h = SessionHarness(subscriptions: ["/a"])
        try h.connect()
        h.handle(.disconnect)
        try h.respond(on: "/meta/disconnect", with: [h.reply("/meta/disconnect")])
        try h.connect(clientId: "c2")
        #expect(h.machine.state == .connected)
        #expect(h.machine.counters.handshakes == 1)
        #expect(h.sent(on: "/meta/subscribe").last?.clientId == "c2")
    }
}
