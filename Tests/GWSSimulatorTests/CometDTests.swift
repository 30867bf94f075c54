import BayeuxCore
import CurlTransport
import GWSSimulator
import HTTPTransport
import JSON
import ScriptedHTTPServer
import TestSupport
import Testing

@Suite("gws-sim CometD 3 semantics")
struct CometDTests {
    @Test("Handshake sets BAYEUX_BROWSER and advises timeout, interval and maxInterval")
    func handshake() async throws {
        let f = try await SimulatorFixture()
        let csrf = try await f.sessionCSRF()
        let response = try await f.http.perform(
            .init(
                method: .post, url: f.url + GWSSimulator.notificationsPath, headers: [SimulatorFixture.basic, csrf],
                body: BayeuxCodec.encode([
                    BayeuxMessage(
                        channel: "/meta/handshake", ["id": "1", "supportedConnectionTypes": ["long-polling"]])
                ])))
        #expect(
            response.headers.contains { $0.name.lowercased() == "set-cookie" && $0.value.hasPrefix("BAYEUX_BROWSER=") })
        let reply = try #require(try BayeuxCodec.decode(response.body).first)
        #expect(reply.successful == true)
        #expect(reply.advice?["timeout"] == 500)
        #expect(reply.advice?["maxInterval"] == 10000)
        #expect(reply.fields["supportedConnectionTypes"] == ["long-polling"])
        await f.stop()
    }

    @Test("Unknown sessions get 402::session_unknown with reconnect handshake on connect, no advice on subscribe")
    func unknownSession() async throws {
        let f = try await SimulatorFixture()
        _ = try await f.handshake()
        let (_, connect) = try await f.bayeux([meta("/meta/connect", "nope")])
        #expect(connect.first?.error == "402::session_unknown")
        #expect(connect.first?.advice?["reconnect"] == "handshake")
        let (_, subscribe) = try await f.bayeux([meta("/meta/subscribe", "nope", ["subscription": "/v2/me/devices"])])
        #expect(subscribe.first?.error == "402::session_unknown")
        #expect(subscribe.first?.advice == nil)
        await f.stop()
    }

    @Test("The session is bound to its browser cookie")
    func cookieBinding() async throws {
        let f = try await SimulatorFixture()
        let id = try await f.handshake()
        await f.http.clearCookies()
        // A new HTTP session (GWS needs one for any POST), without the browser cookie.
        try await f.relogin()
        let (_, replies) = try await f.bayeux([meta("/meta/connect", id, ["advice": ["timeout": 0]])])
        #expect(replies.first?.error == "402::session_unknown")
        await f.stop()
    }

    @Test("Events come before the connect reply, and a held connect wakes for them")
    func eventsFirst() async throws {
        // Held for 5 s: the check that it is held must not race a short hold on a busy machine.
        let f = try await SimulatorFixture(
            .init(cometd: CometDSettings(timeout: .seconds(5), maxInterval: .seconds(10))))
        let id = try await f.handshake()
        _ = try await f.bayeux([meta("/meta/subscribe", id, ["subscription": "/v2/me/*"])])
        _ = try await f.bayeux([meta("/meta/connect", id, id: "c1", ["advice": ["timeout": 0]])])
        async let held = f.bayeux([meta("/meta/connect", id, id: "c2")])
        await waitUntil("the second connect held") { await f.simulator.engine.heldConnects == 1 }
        await f.simulator.engine.apply("Ready")
        let (status, replies) = try await held
        #expect(status == 200)
        #expect(replies.map(\.channel) == ["/v2/me/devices", "/v2/me/channels", "/meta/connect"])
        #expect(replies[0].data?["messageType"] == "DeviceStateChangeMessage")
        #expect(replies[1].data?["messageType"] == "ChannelStateChangeMessageV2")
        await f.stop()
    }

    @Test("An idle connect is held for the timeout, then answered empty")
    func holdsForTimeout() async throws {
        let f = try await SimulatorFixture()
        let id = try await f.handshake()
        let start = ContinuousClock.now
        let (_, replies) = try await f.bayeux([meta("/meta/connect", id)])
        #expect(ContinuousClock.now - start >= .milliseconds(450))
        #expect(replies.map(\.channel) == ["/meta/connect"])
        #expect(replies.first?.successful == true)
        await f.stop()
    }

    @Test("A duplicate connect completes the older one with HTTP 500")
    func duplicateConnect() async throws {
        let f = try await SimulatorFixture(.init(cometd: CometDSettings(timeout: .seconds(5))))
        let id = try await f.handshake()
        async let first = f.bayeux([meta("/meta/connect", id, id: "a")])
        await waitUntil("the first connect held") { await f.simulator.engine.heldConnects == 1 }
        async let second = f.bayeux([meta("/meta/connect", id, id: "b", ["advice": ["timeout": 0]])])
        #expect(try await first.0 == 500)
        #expect(try await second.0 == 200)
        #expect(f.simulator.counters[.duplicateConnects] == 1)
        await f.stop()
    }

    @Test("A session without a connect for maxInterval is swept; one within it is kept")
    func sweep() async throws {
        let time = ManualTime()
        let f = try await SimulatorFixture(
            .init(cometd: CometDSettings(timeout: .milliseconds(100), maxInterval: .milliseconds(300))),
            clock: time.clock)
        let kept = try await f.handshake()
        time.advance(by: .milliseconds(250))
        let (_, alive) = try await f.bayeux([meta("/meta/connect", kept, ["advice": ["timeout": 0]])])
        #expect(alive.last?.successful == true, "swept within maxInterval")
        time.advance(by: .milliseconds(301))
        let (_, replies) = try await f.bayeux([meta("/meta/connect", kept)])
        #expect(replies.first?.error == "402::session_unknown")
        #expect(f.simulator.counters[.sessionsSwept] == 1)
        await f.stop()
    }

    @Test("The ack extension re-sends a batch the client did not acknowledge")
    func ackExtension() async throws {
        let f = try await SimulatorFixture()
        var handshake = BayeuxMessage(
            channel: "/meta/handshake", ["id": "h", "supportedConnectionTypes": ["long-polling"]])
        handshake.setExt("ack", true)
        let (_, hs) = try await f.bayeux([handshake])
        #expect(hs.first?.ext?["ack"] == true)
        let id = try #require(hs.first?.clientId)
        _ = try await f.bayeux([meta("/meta/subscribe", id, ["subscription": "/v2/me/devices"])])
        await f.simulator.engine.apply("Ready")
        let (_, first) = try await f.bayeux([meta("/meta/connect", id, id: "1", ["ext": ["ack": 0]])])
        #expect(first.map(\.channel) == ["/v2/me/devices", "/meta/connect"])
        let batch = try #require(first.last?.ext?["ack"]?.intValue)
        // The reply "was lost": acknowledging the old batch id gets the same events again.
        let (_, again) = try await f.bayeux([
            meta("/meta/connect", id, id: "2", ["ext": ["ack": 0], "advice": ["timeout": 0]])
        ])
        #expect(again.map(\.channel) == ["/v2/me/devices", "/meta/connect"])
        let (_, acked) = try await f.bayeux([
            meta("/meta/connect", id, id: "3", ["ext": ["ack": .int(batch)], "advice": ["timeout": 0]])
        ])
        #expect(acked.map(\.channel) == ["/meta/connect"])
        await f.stop()
    }

    @Test("Two sessions on one browser cookie get multiple-clients advice")
    func multipleClients() async throws {
        let f = try await SimulatorFixture(.init(cometd: CometDSettings(timeout: .seconds(3))))
        let a = try await f.handshake()
        let b = try await f.handshake()
        async let held = f.bayeux([meta("/meta/connect", a)])
        await waitUntil("the first connect held") { await f.simulator.engine.heldConnects == 1 }
        let (_, replies) = try await f.bayeux([meta("/meta/connect", b)])
        #expect(replies.first?.advice?["multiple-clients"] == true)
        #expect(replies.first?.advice?["interval"] == 2000)
        await f.simulator.engine.dropSessions()
        _ = try await held
        await f.stop()
    }
}
