import JSON
import Testing

@testable import BayeuxCore

@Suite("Connect loop")
struct ConnectLoopTests {
    @Test("The first connect asks for an immediate answer; later ones wait the server's timeout")
    func connectCycle() throws {
        var h = SessionHarness(configuration: SessionConfiguration(maxNetworkDelay: .seconds(10)))
        h.handle(.start)
        try h.respond(
            on: "/meta/handshake", with: [h.reply("/meta/handshake", ["clientId": "c1", "advice": ["timeout": 25000]])])
        let first = try #require(h.openRequest(on: "/meta/connect"))
        #expect(first.messages[0].fields["advice"] == ["timeout": 0])
        #expect(first.messages[0].fields["connectionType"] == "long-polling")
        #expect(first.messages[0].clientId == "c1")
        #expect(first.timeout == .seconds(10))
        #expect(h.machine.state == .handshaking)
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        #expect(h.machine.state == .connected)
        let second = try #require(h.openRequest(on: "/meta/connect"))
        #expect(second.messages[0].fields["advice"] == nil)
        #expect(second.timeout == .seconds(35))
        for _ in 0..<100 {
            #expect(h.openConnects == 1)
            try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        }
        #expect(h.machine.counters.successfulConnects == 101)
    }

    @Test("A configured hold time is requested on every long poll")
    func requestedTimeout() throws {
        var h = SessionHarness(
            configuration: SessionConfiguration(maxNetworkDelay: .seconds(5), requestedTimeout: .seconds(20)))
        try h.connect()
        let poll = try #require(h.openRequest(on: "/meta/connect"))
        #expect(poll.messages[0].fields["advice"] == ["timeout": 20000])
        #expect(poll.timeout == .seconds(25))
    }

    @Test("Every element is routed, whether the reply comes first or last", arguments: [true, false])
    func mixedResponses(replyFirst: Bool) throws {
        var h = SessionHarness(subscriptions: ["/v2/me/devices", "/v2/me/channels"])
        try h.connect()
        let events = [event("/v2/me/devices", 1), event("/v2/me/channels", 2), event("/v2/me/devices", 3)]
        let reply = try h.reply("/meta/connect", ["advice": ["interval": 0, "timeout": 1000]])
        try h.respond(on: "/meta/connect", with: replyFirst ? [reply] + events : events + [reply])
        #expect(h.delivered == events)
        #expect(h.machine.advice.timeout == .seconds(1))
        #expect(h.openConnects == 1)
    }

    @Test("Events riding on a subscribe reply are delivered")
    func eventsOnSubscribeReply() throws {
        var h = SessionHarness(subscriptions: ["/a"])
        h.handle(.start)
        try h.respond(on: "/meta/handshake", with: [h.reply("/meta/handshake", ["clientId": "c1"])])
        try h.respond(on: "/meta/subscribe", with: [event("/a", 7), h.reply("/meta/subscribe")])
        #expect(h.delivered == [event("/a", 7)])
        #expect(h.actions.contains(.subscribed("/a")))
    }

    @Test("An unsuccessful connect without advice is retried with the same session")
    func connectRetry() throws {
        var h = SessionHarness()
        try h.connect()
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect", successful: false, ["error": "500::oops"])])
        #expect(h.machine.state == .unconnected)
        #expect(h.openConnects == 0)
        try h.fireTimer()
        let retry = try h.message(on: "/meta/connect")
        #expect(retry.clientId == "c1")
        #expect(retry.fields["advice"] == ["timeout": 0])
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        #expect(h.machine.state == .connected)
        #expect(h.machine.counters.handshakes == 1)
    }

    @Test(
        "Unknown-session errors of three servers behave alike",
        arguments: ["402::session_unknown", "401:c1:Unknown client", "403::Unknown client"])
    func dialects(error: String) throws {
        var h = SessionHarness(subscriptions: ["/v2/me/devices"])
        try h.connect()
        try h.respond(
            on: "/meta/connect",
            with: [
                h.reply(
                    "/meta/connect", successful: false,
                    ["error": .string(error), "advice": ["reconnect": "handshake", "interval": 0]])
            ])
        #expect(h.machine.state == .rehandshaking)
        #expect(h.openRequest(on: "/meta/handshake") != nil)
        #expect(h.machine.counters.unsuccessfulReplies["/meta/connect"] == 1)
        #expect(h.machine.counters.errorCodes == [Int(error.prefix(3)) ?? 0: 1])
    }

    @Test("After a server restart the client re-handshakes, re-subscribes and says so")
    func serverRestart() throws {
        var h = SessionHarness(subscriptions: ["/v2/me/devices", "/v2/me/channels"])
        try h.connect(clientId: "old")
        try h.fail(on: "/meta/connect", .reset)
        try h.fireTimer()
        try h.respond(
            on: "/meta/connect",
            with: [
                h.reply(
                    "/meta/connect", successful: false,
                    ["error": "402::session_unknown", "advice": ["reconnect": "handshake"]])
            ])
        if h.openRequest(on: "/meta/handshake") == nil { try h.fireTimer() }
        try h.connect(clientId: "new")
        #expect(h.actions.contains(.handshook(clientId: "new", rehandshake: true)))
        #expect(h.actions.contains(.handshook(clientId: "old", rehandshake: false)))
        let subscribes = h.sent(on: "/meta/subscribe")
        #expect(
            subscribes.filter { $0.clientId == "new" }.map(\.subscriptions) == [
                ["/v2/me/devices"], ["/v2/me/channels"],
            ])
        #expect(h.machine.state == .connected)
    }

    @Test("A short outage resumes the same session without re-subscribing")
    func shortOutage() throws {
        var h = SessionHarness(subscriptions: ["/a"])
        try h.connect(handshakeAdvice: ["maxInterval": 10000, "timeout": 30000])
        for _ in 0..<3 {
            try h.fail(on: "/meta/connect", .connect)
            try h.fireTimer()
        }
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        #expect(h.machine.clientId == "c1")
        #expect(h.machine.counters.handshakes == 1)
        #expect(h.sent(on: "/meta/subscribe").count == 1)
        #expect(h.machine.failures == 0)
    }

    @Test("A long outage switches to a handshake once the server would have swept the session")
    func longOutageSwitchesToHandshake() throws {
        var h = SessionHarness(
            configuration: SessionConfiguration(
                backoff: BackoffPolicy(increment: .seconds(1), maximum: .seconds(30), jitter: 0)))
        try h.connect(handshakeAdvice: ["maxInterval": 10000, "timeout": 30000])
        var failures = 0
        while h.openRequest(on: "/meta/handshake") == nil && failures < 50 {
            if h.openRequest(on: "/meta/connect") != nil {
                try h.fail(on: "/meta/connect", .timeout)
                failures += 1
            }
            try h.fireTimer()
        }
        #expect(h.openRequest(on: "/meta/handshake") != nil)
        #expect(h.now.offset <= .seconds(60))
        #expect(h.actions.contains(.stateChanged(.rehandshaking)))
    }

    @Test(
        "Timeouts, proxy errors and garbage bodies are retried, not fatal",
        arguments: RequestFailureKind.allCases)
    func transportFailuresRetry(kind: RequestFailureKind) throws {
        var h = SessionHarness()
        try h.connect()
        try h.fail(on: "/meta/connect", kind)
        #expect(h.machine.state == .unconnected)
        #expect(h.terminated == nil)
        #expect(h.machine.counters.requestFailures[kind] == 1)
        try h.fireTimer()
        #expect(h.openConnects == 1)
    }

    @Test("Two too-large connect replies without a successful one between abandon the session")
    func tooLargeRepliesRehandshake() throws {
        var h = SessionHarness(
            configuration: SessionConfiguration(
                backoff: BackoffPolicy(increment: .seconds(1), maximum: .seconds(30), jitter: 0)),
            subscriptions: ["/a"])
        try h.connect(handshakeAdvice: ["maxInterval": 60000, "timeout": 30000])
        // Once (a garbled reply, say): the same session again.
        try h.fail(on: "/meta/connect", .tooLarge)
        #expect(h.machine.state == .unconnected)
        try h.fireTimer()
        #expect(h.openConnects == 1)
        // Twice in a row (a queue resent with the ack extension): a new session.
        try h.fail(on: "/meta/connect", .tooLarge)
        #expect(h.machine.state == .rehandshaking)
        #expect(h.terminated == nil)
        #expect(h.machine.counters.requestFailures[.tooLarge] == 2)
        if h.openRequest(on: "/meta/handshake") == nil { try h.fireTimer() }
        try h.respond(
            on: "/meta/handshake",
            with: [h.reply("/meta/handshake", ["clientId": "c2", "supportedConnectionTypes": ["long-polling"]])])
        // The new session starts its own count: its first too-large reply is retried.
        try h.fail(on: "/meta/connect", .tooLarge)
        #expect(h.machine.state == .unconnected)
        #expect(h.machine.clientId == "c2")
        try h.fireTimer()
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        #expect(h.machine.state == .connected)
        // Once per session, and once more with the new session's first connect retried.
        #expect(h.sent(on: "/meta/subscribe").count == 3)
        // A successful connect between two too-large replies: still the same session.
        try h.fail(on: "/meta/connect", .tooLarge)
        try h.fireTimer()
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        try h.fail(on: "/meta/connect", .tooLarge)
        #expect(h.machine.state == .unconnected)
        #expect(h.machine.clientId == "c2")
        // Another failure between two (a timeout) does not empty the server's queue: the
        // second too-large reply still starts a new session.
        try h.fireTimer()
        try h.fail(on: "/meta/connect", .timeout)
        try h.fireTimer()
        try h.fail(on: "/meta/connect", .tooLarge)
        #expect(h.machine.state == .rehandshaking)
    }

    @Test("Replies and failures of superseded connects are ignored")
    func staleConnect() throws {
        var h = SessionHarness()
        try h.connect()
        let old = try #require(h.openRequest(on: "/meta/connect"))
        var staleReply = BayeuxMessage(channel: "/meta/connect", ["successful": true])
        staleReply.id = "999"
        try h.respond(on: "/meta/connect", with: [staleReply])
        // The response had no reply for its own connect: treated as a failed connect.
        #expect(h.openConnects == 0)
        try h.fireTimer()
        #expect(h.openConnects == 1)
        let actionsBefore = h.actions.count
        h.handle(.requestFailed(old.id, RequestFailure(.http, "500 duplicate connect")))
        h.handle(.responseReceived(old.id, [staleReply]))
        #expect(h.actions.count == actionsBefore)
        #expect(h.openConnects == 1)
        #expect(h.machine.counters.staleReplies >= 2)
    }

    @Test("A successful reply carrying reconnect handshake re-handshakes")
    func successfulHandshakeAdvice() throws {
        var h = SessionHarness()
        try h.connect()
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect", ["advice": ["reconnect": "handshake"]])])
        #expect(h.machine.state == .rehandshaking)
        #expect(h.openRequest(on: "/meta/handshake") != nil)
        #expect(h.terminated == nil)
    }

    @Test("Multiple-clients advice turns the client into a poller at the advised interval")
    func multipleClients() throws {
        var h = SessionHarness()
        try h.connect()
        try h.respond(
            on: "/meta/connect",
            with: [h.reply("/meta/connect", ["advice": ["multiple-clients": true, "interval": 2000]])])
        #expect(h.machine.advice.multipleClients)
        #expect(h.openConnects == 0)
        #expect(try #require(h.timer).due.offset == h.now.offset + .seconds(2))
        try h.fireTimer()
        #expect(h.openConnects == 1)
    }

    @Test("Multiple-clients with reconnect none stops")
    func multipleClientsNone() throws {
        var h = SessionHarness()
        try h.connect()
        try h.respond(
            on: "/meta/connect",
            with: [
                h.reply(
                    "/meta/connect", successful: false, ["advice": ["multiple-clients": true, "reconnect": "none"]])
            ])
        #expect(h.terminated == .serverRefused(nil))
    }

    @Test("A negative interval stops the session")
    func negativeInterval() throws {
        var h = SessionHarness()
        try h.connect()
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect", ["advice": ["interval": -1]])])
        #expect(h.terminated == .serverRefused("negative interval advice"))
        #expect(h.open.isEmpty)
    }

    @Test("Reconnect none on a connect (server-side disconnect) stops")
    func connectNone() throws {
        var h = SessionHarness()
        try h.connect()
        try h.respond(
            on: "/meta/connect",
            with: [
                h.reply(
                    "/meta/connect", successful: false,
                    ["error": "401::Authentication invalid", "advice": ["reconnect": "none"]])
            ])
        #expect(h.terminated == .serverRefused("401::Authentication invalid"))
        #expect(h.machine.state == .disconnected)
    }

    @Test("No busy loop: a server that accepts handshakes and refuses every connect is paced")
    func handshakeConnectStormIsPaced() throws {
        var h = SessionHarness()
        h.handle(.start)
        var requests = 0
        while h.now.offset < .seconds(10) && requests < 1000 {
            if h.openRequest(on: "/meta/handshake") != nil {
                try h.respond(on: "/meta/handshake", with: [h.reply("/meta/handshake", ["clientId": "c"])])
                requests += 1
            } else if h.openRequest(on: "/meta/connect") != nil {
                try h.respond(
                    on: "/meta/connect",
                    with: [
                        h.reply(
                            "/meta/connect", successful: false, ["advice": ["reconnect": "handshake", "interval": 0]])
                    ])
                requests += 1
            } else {
                try h.fireTimer()
            }
        }
        #expect(h.machine.counters.handshakes <= 8)
        let firstSeconds = h.machine.counters.handshakes
        #expect(firstSeconds >= 2)
    }

    @Test("Backoff is reset by a successful connect")
    func backoffReset() throws {
        var h = SessionHarness(
            configuration: SessionConfiguration(
                backoff: BackoffPolicy(increment: .seconds(1), maximum: .seconds(30), jitter: 0)))
        try h.connect()
        for _ in 0..<5 {
            try h.fail(on: "/meta/connect")
            try h.fireTimer()
        }
        try h.respond(on: "/meta/connect", with: [h.reply("/meta/connect")])
        try h.fail(on: "/meta/connect")
        #expect(try #require(h.timer).due == h.now)
    }
}
