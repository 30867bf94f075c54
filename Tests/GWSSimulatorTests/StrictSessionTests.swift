import BayeuxCore
import CurlTransport
import GWSSimulator
import HTTPTransport
import JSON
import ScriptedHTTPServer
import TestSupport
import Testing

/// gws-sim is at least as strict as GWS about HTTP sessions: CSRF on CometD, idle expiry,
/// password changes, EndContactCenterSession, restarts and node-local sessions.
@Suite("gws-sim HTTP sessions, as strict as GWS")
struct StrictSessionTests {
    static let handshake = BayeuxMessage(
        channel: "/meta/handshake", ["id": "h", "version": "1.0", "supportedConnectionTypes": ["long-polling"]])

    /// A raw CometD POST with the given headers.
    static func cometd(_ f: SimulatorFixture, url: String? = nil, headers: [HTTPHeader]) async throws -> HTTPResponse {
        try await f.http.perform(
            HTTPRequest(
                method: .post, url: (url ?? f.url) + GWSSimulator.notificationsPath,
                headers: headers + [HTTPHeader("Content-Type", "application/json")],
                body: BayeuxCodec.encode([handshake])))
    }

    @Test("A CometD POST without the session's CSRF token gets 403; the switch relaxes it")
    func csrfOnCometD() async throws {
        let f = try await SimulatorFixture()
        let refused = try await Self.cometd(f, headers: [SimulatorFixture.basic])
        #expect(refused.status == 403)
        #expect(String(decoding: refused.body, as: UTF8.self) == "Missing or invalid Csrf token")
        let csrf = try await f.login()
        #expect(try await Self.cometd(f, headers: [SimulatorFixture.basic, csrf]).status == 200)
        let forged = HTTPHeader(csrf.name, "forged")
        #expect(try await Self.cometd(f, headers: [SimulatorFixture.basic, forged]).status == 403)
        #expect(f.simulator.counters[.csrfFailures] == 2)
        await f.stop()

        let relaxed = try await SimulatorFixture(SimulatorConfiguration(csrfOnCometD: false))
        #expect(try await Self.cometd(relaxed, headers: [SimulatorFixture.basic]).status == 200)
        await relaxed.stop()
    }

    @Test("An unknown JSESSIONID with Basic gets a new session and token, and its POST is refused")
    func unknownSessionCookie() async throws {
        let f = try await SimulatorFixture()
        let response = try await Self.cometd(
            f,
            headers: [SimulatorFixture.basic, HTTPHeader("Cookie", "JSESSIONID=gone"), HTTPHeader("X-CSRF-TOKEN", "t")])
        #expect(response.status == 403)
        #expect(response.header("Set-Cookie")?.hasPrefix("JSESSIONID=") == true)
        await f.stop()
    }

    @Test("HTTP sessions expire when idle; every request, a held long poll included, refreshes them")
    func idleTimeout() async throws {
        let f = try await SimulatorFixture(
            SimulatorConfiguration(
                cometd: CometDSettings(timeout: .seconds(30), maxInterval: .seconds(60)),
                httpSessionTimeout: .seconds(60)))
        let id = try await f.handshake()
        _ = try await f.bayeux([meta("/meta/subscribe", id, ["subscription": "/v2/me/devices"])])
        // Requests 50 s apart keep a 60 s session alive for far longer than 60 s.
        for _ in 0..<4 {
            await f.simulator.engine.advanceSessionClock(by: .seconds(50))
            #expect(try await f.get("/api/v2/me").status == 200)
        }
        #expect(try await f.bayeux([meta("/meta/connect", id, id: "c1", ["advice": ["timeout": 0]])]).0 == 200)
        // A long poll held across 50 s of session time refreshes the session when it ends.
        async let held = f.bayeux([meta("/meta/connect", id, id: "c2")])
        await waitUntil("the connect held") { await f.simulator.engine.heldConnects == 1 }
        await f.simulator.engine.advanceSessionClock(by: .seconds(50))
        await f.simulator.engine.apply("Ready")
        #expect(try await held.0 == 200)
        await f.simulator.engine.advanceSessionClock(by: .seconds(50))
        #expect(try await f.bayeux([meta("/meta/connect", id, id: "c3", ["advice": ["timeout": 0]])]).0 == 200)
        // Idle for longer than the timeout: gone, and the next POST is refused.
        await f.simulator.engine.advanceSessionClock(by: .seconds(61))
        #expect(try await f.bayeux([meta("/meta/connect", id, id: "c4", ["advice": ["timeout": 0]])]).0 == 403)
        await f.stop()
    }

    @Test("Expiring every HTTP session: the next POST gets 403, a GET starts a new session")
    func expireControl() async throws {
        // A long maxInterval: the point is the HTTP session, and on a loaded machine the
        // steps below can take longer than the default 2 s the simulator keeps a Bayeux
        // session without a connect.
        let f = try await SimulatorFixture(
            SimulatorConfiguration(cometd: CometDSettings(timeout: .milliseconds(500), maxInterval: .seconds(60))))
        let id = try await f.handshake()
        await f.simulator.engine.expireHTTPSessions()
        let refused = try await f.http.perform(
            HTTPRequest(
                method: .post, url: f.url + GWSSimulator.notificationsPath,
                headers: [SimulatorFixture.basic, try await f.sessionCSRF()],
                body: BayeuxCodec.encode([meta("/meta/connect", id, ["advice": ["timeout": 0]])])))
        #expect(refused.status == 403)
        // The refusal itself starts a new session (as GWS does); a GET hands out its token.
        #expect(refused.header("Set-Cookie")?.hasPrefix("JSESSIONID=") == true)
        try await f.relogin()
        // The Bayeux session outlived the HTTP session (CometD keeps its own).
        #expect(try await f.bayeux([meta("/meta/connect", id, ["advice": ["timeout": 0]])]).1.first?.successful == true)
        await f.stop()
    }

    @Test("A restart loses HTTP sessions as well as Bayeux sessions")
    func restartLosesSessions() async throws {
        let f = try await SimulatorFixture()
        _ = try await f.handshake()
        #expect(await f.simulator.engine.httpSessionCount() == 1)
        try await f.simulator.restart()
        #expect(await f.simulator.engine.httpSessionCount() == 0)
        #expect(await f.simulator.engine.bayeuxSessions == 0)
        #expect(try await Self.cometd(f, headers: [SimulatorFixture.basic, try await f.sessionCSRF()]).status == 403)
        await f.stop()
    }

    @Test("A changed password: the old one gets 401 from then on, even with a live session")
    func passwordChange() async throws {
        let f = try await SimulatorFixture()
        _ = try await f.login()
        #expect(await f.simulator.engine.changePassword("new-secret"))
        #expect(try await f.get("/api/v2/me").status == 401)
        let newBasic = HTTPHeader("Authorization", "Basic YWdlbnQxOm5ldy1zZWNyZXQ=")  // agent1:new-secret
        #expect(try await f.get("/api/v2/me", headers: [newBasic]).status == 200)
        await f.stop()
    }

    @Test("EndContactCenterSession logs the agent out and invalidates the user's HTTP sessions")
    func endContactCenterSession() async throws {
        let f = try await SimulatorFixture()
        let id = try await f.handshake()
        _ = try await f.bayeux([meta("/meta/subscribe", id, ["subscription": "/v2/me/devices"])])
        let outcome = await f.simulator.engine.endContactCenterSession()
        guard case .accepted(let notifications) = outcome else {
            Issue.record("EndContactCenterSession was refused: \(outcome)")
            return
        }
        #expect(notifications.map(\.channel) == ["/v2/me/devices", "/v2/me/channels"])
        #expect(await f.simulator.engine.agent()?.devices.first?.state.state == "LoggedOut")
        #expect(await f.simulator.engine.agent()?.channels.allSatisfy { $0.state.state == "LoggedOut" } == true)
        // The notification was queued for the Bayeux session; the next POST needs a new HTTP session.
        #expect(try await f.bayeux([meta("/meta/connect", id, ["advice": ["timeout": 0]])]).0 == 403)
        await f.stop()

        // Sent by the client itself, it ends that client's own HTTP session.
        let own = try await SimulatorFixture()
        let csrf = try await own.login()
        let reply = try await own.post(
            "/api/v2/me", #"{"operationName":"EndContactCenterSession"}"#, headers: [SimulatorFixture.basic, csrf])
        #expect(reply.status == 200)
        // The cookie now names no session: without Basic, the request is not authenticated.
        #expect(try await own.post("/api/v2/me", #"{"operationName":"Ready"}"#, headers: [csrf]).status == 401)
        await own.stop()
    }

    @Test("--nodes 2: consecutive ports, node-local sessions, notifications on both, stop and start")
    func cluster() async throws {
        let f = try await SimulatorFixture(
            SimulatorConfiguration(
                cometd: CometDSettings(timeout: .milliseconds(300), maxInterval: .seconds(3)), nodes: 2))
        let urls = await f.simulator.baseURLs
        #expect(urls.count == 2)
        let ports = urls.compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }
        #expect(ports.count == 2 && ports[1] == ports[0] + 1)
        let id = try await f.handshake()
        // The cookie and token of node 0 mean nothing to node 1: 403, as on GWS behind a failover.
        let moved = try await Self.cometd(
            f, url: urls[1], headers: [SimulatorFixture.basic, try await f.sessionCSRF()])
        #expect(moved.status == 403)
        // Logged in on node 1, the Bayeux session of node 0 is unknown there.
        let login = try await f.http.perform(
            HTTPRequest(method: .get, url: urls[1] + "/api/v2/me", headers: [SimulatorFixture.basic]))
        let csrf1 = HTTPHeader("X-CSRF-TOKEN", try #require(login.header("X-CSRF-TOKEN")))
        let connect = try await f.http.perform(
            HTTPRequest(
                method: .post, url: urls[1] + GWSSimulator.notificationsPath,
                headers: [SimulatorFixture.basic, csrf1, HTTPHeader("Content-Type", "application/json")],
                body: BayeuxCodec.encode([meta("/meta/connect", id, ["advice": ["timeout": 0]])])))
        #expect(try BayeuxCodec.decode(connect.body).first?.error == "402::session_unknown")

        await f.simulator.stopListening(node: 0)
        #expect(await f.simulator.isUp(node: 0) == false)
        await #expect(throws: TransportError.self) {
            try await f.http.perform(
                HTTPRequest(method: .get, url: urls[0] + "/api/v2/me", headers: [SimulatorFixture.basic]))
        }
        #expect(
            try await f.http.perform(
                HTTPRequest(method: .get, url: urls[1] + "/api/v2/me", headers: [SimulatorFixture.basic])
            ).status == 200)
        try await f.simulator.startListening(node: 0)
        #expect(try await f.get("/api/v2/me").status == 200)
        await f.stop()
    }

    @Test("The control endpoint expires sessions, changes passwords, ends sessions and stops nodes")
    func controlEndpoint() async throws {
        let f = try await SimulatorFixture(SimulatorConfiguration(nodes: 2))
        func control(_ action: String, _ body: String = "{}") async throws -> HTTPResponse {
            try await f.post("/sim/control/" + action, body, headers: [HTTPHeader("Content-Type", "application/json")])
        }
        _ = try await f.login()
        #expect(await f.simulator.engine.httpSessionCount() == 1)
        #expect(try await control("expire-http-sessions").status == 200)
        #expect(await f.simulator.engine.httpSessionCount() == 0)
        #expect(try await control("expire-http-sessions", #"{"node": 7}"#).status == 400)
        #expect(try await control("password", #"{"password": "rotated"}"#).status == 200)
        #expect(try await f.get("/api/v2/me").status == 401)
        #expect(try await control("password", "{}").status == 400)
        #expect(try await control("end-session").status == 200)
        #expect(await f.simulator.engine.agent()?.devices.first?.state.state == "LoggedOut")
        #expect(try await control("stop-node", #"{"node": 1}"#).status == 200)
        await waitUntil("node 1 stopped") { await !f.simulator.isUp(node: 1) }
        let nodes = try JSONParser().parse(try await f.get("/sim/control/nodes", headers: []).body)
        #expect(nodes.arrayValue?.map { $0["up"] } == [true, false])
        let started = try await control("start-node", #"{"node": 1}"#)
        #expect(started.status == 200, "\(String(decoding: started.body, as: UTF8.self))")
        #expect(await f.simulator.isUp(node: 1))
        await f.stop()
    }
}
