import JSON
import Testing

@testable import BayeuxCore

@Suite("Handshake")
struct HandshakeTests {
    @Test("The handshake offers version 1.0 and long-polling only, with configured fields")
    func handshakeMessage() throws {
        var h = SessionHarness(configuration: SessionConfiguration(handshakeFields: ["ext": ["auth": "x"]]))
        h.handle(.start)
        let message = try h.message(on: "/meta/handshake")
        #expect(message.fields["version"] == "1.0")
        #expect(message.fields["supportedConnectionTypes"] == ["long-polling"])
        #expect(message.fields["ext"]?["auth"] == "x")
        #expect(message.clientId == nil)
        #expect(h.machine.state == .handshaking)
    }

    @Test("An unreachable server gets a handful of attempts, with growing delays")
    func unreachableServerBacksOff() throws {
        var h = SessionHarness()
        h.handle(.start)
        var attemptTimes: [Duration] = []
        while h.now.offset < .seconds(60) {
            attemptTimes.append(h.now.offset)
            try h.fail(on: "/meta/handshake", .connect)
            if h.timer != nil { try h.fireTimer() }
        }
        #expect(attemptTimes.filter { $0 < .seconds(3) }.count <= 4)
        let gaps = zip(attemptTimes.dropFirst(), attemptTimes).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 <= .seconds(30) })
        // Linear 1 s steps with at most 50 % jitter: about a dozen attempts in a minute.
        #expect(attemptTimes.count <= 14)
        #expect(gaps.suffix(3).allSatisfy { $0 >= .seconds(4) })
        #expect(h.machine.state == .handshaking)
        #expect(h.machine.counters.requestFailures[.connect] == attemptTimes.count)
    }

    @Test("A refused handshake with reconnect handshake is retried later")
    func refusedHandshakeRetried() throws {
        var h = SessionHarness()
        h.handle(.start)
        try h.respond(
            on: "/meta/handshake",
            with: [
                h.reply(
                    "/meta/handshake", successful: false,
                    ["error": "403::handshake_denied", "advice": ["reconnect": "handshake", "interval": 500]])
            ])
        #expect(h.openRequest(on: "/meta/handshake") == nil)
        let due = try #require(h.timer).due
        #expect(due.offset >= .milliseconds(500))
        try h.fireTimer()
        #expect(h.openRequest(on: "/meta/handshake") != nil)
    }

    @Test("Reconnect none on a handshake stops for good")
    func handshakeNoneStops() throws {
        var h = SessionHarness()
        h.handle(.start)
        try h.respond(
            on: "/meta/handshake",
            with: [
                h.reply(
                    "/meta/handshake", successful: false,
                    ["error": "401::bad credentials", "advice": ["reconnect": "none"]])
            ])
        #expect(h.terminated == .serverRefused("401::bad credentials"))
        #expect(h.open.isEmpty)
        #expect(h.timer == nil)
        #expect(h.machine.state == .disconnected)
    }

    @Test("Advice from an earlier session does not survive a handshake without advice")
    func staleAdviceReset() throws {
        var h = SessionHarness()
        try h.connect(handshakeAdvice: ["timeout": 5000, "interval": 1000, "maxInterval": 9000])
        #expect(h.machine.advice.interval == .seconds(1))
        try h.fireTimer()
        try h.respond(
            on: "/meta/connect",
            with: [h.reply("/meta/connect", successful: false, ["advice": ["reconnect": "handshake"]])])
        try h.fireTimer()
        try h.respond(on: "/meta/handshake", with: [h.reply("/meta/handshake", ["clientId": "c2"])])
        #expect(h.machine.advice == .initial)
        #expect(h.machine.clientId == "c2")
        #expect(h.openRequest(on: "/meta/connect") != nil)
    }

    @Test("A server without long-polling ends the session with a clear reason")
    func noCommonTransport() throws {
        var h = SessionHarness()
        h.handle(.start)
        try h.respond(
            on: "/meta/handshake",
            with: [
                h.reply(
                    "/meta/handshake",
                    ["clientId": "c1", "supportedConnectionTypes": ["websocket", "callback-polling"]])
            ])
        #expect(h.terminated == .noCommonTransport(serverTypes: ["websocket", "callback-polling"]))
        #expect(h.terminated?.description.contains("websocket") == true)
    }

    @Test("A successful handshake reply without clientId is a failure, retried")
    func handshakeWithoutClientId() throws {
        var h = SessionHarness()
        h.handle(.start)
        try h.respond(on: "/meta/handshake", with: [h.reply("/meta/handshake")])
        #expect(h.machine.clientId == nil)
        #expect(h.openRequest(on: "/meta/connect") == nil)
        #expect(h.openRequest(on: "/meta/handshake") != nil || h.timer != nil)
    }

    @Test("A response without any handshake reply is a failure, retried")
    func handshakeResponseMissingReply() throws {
        var h = SessionHarness()
        h.handle(.start)
        try h.respond(on: "/meta/handshake", with: [])
        #expect(h.machine.counters.requestFailures[.malformed] == 1)
        #expect(h.openRequest(on: "/meta/handshake") != nil || h.timer != nil)
    }

    @Test("Messages delivered with the handshake reply come before the first connect")
    func messagesWithHandshake() throws {
        var h = SessionHarness(subscriptions: ["/v2/me/devices"])
        h.handle(.start)
        let produced = try h.respond(
            on: "/meta/handshake",
            with: [event("/v2/me/devices", 1), h.reply("/meta/handshake", ["clientId": "c1"])])
        let deliverIndex = try #require(
            produced.firstIndex { if case .deliver = $0 { return true } else { return false } })
        let connectIndex = try #require(
            produced.firstIndex { if case .send(let r) = $0 { return r.isLongPoll } else { return false } })
        #expect(deliverIndex < connectIndex)
        #expect(h.delivered == [event("/v2/me/devices", 1)])
    }

    @Test("Permanent transport errors keep retrying at the capped delay, never faster")
    func permanentErrorsCapped() throws {
        var h = SessionHarness(
            configuration: SessionConfiguration(
                backoff: BackoffPolicy(increment: .seconds(1), maximum: .seconds(10), jitter: 0)))
        h.handle(.start)
        for _ in 0..<30 {
            try h.fail(on: "/meta/handshake", .tls)
            if h.timer != nil { try h.fireTimer() }
        }
        let last = try #require(h.actions.last { if case .startTimer = $0 { return true } else { return false } })
        #expect(last == .startTimer(h.machine.lastTimerID, after: .seconds(10)))
    }
}
