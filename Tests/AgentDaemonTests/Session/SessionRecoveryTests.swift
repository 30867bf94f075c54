import AgentState
import Foundation
import Testing

@testable import AgentDaemon

/// The session layer against an in-memory GWS as strict as gws-sim, on manual time: one
/// test per way GWS ends a session, none of them sleeping through a real backoff.
@Suite("Session layer: recovery from lost GWS sessions")
struct SessionLayerRecoveryTests {
    /// The logins that carried no session cookie: each one a fresh cookie jar.
    static func freshLogins(_ gws: FakeGWS) -> Int { gws.logins.filter { !$0.cookies.contains("JSESSIONID") }.count }

    @Test("Start: a login in a fresh HTTP session, handshake, subscriptions, resync; CSRF sent on CometD")
    func startup() async throws {
        let h = try SessionHarness()
        h.start()
        let document = await h.waitForSynced()
        #expect(document?.connection.server == h.gws.baseURLs[0])
        #expect(Self.freshLogins(h.gws) == 1)
        // Every CometD POST passed the strict CSRF check.
        #expect(h.gws.requests.filter { !$0.channels.isEmpty }.allSatisfy { $0.status == 200 })
        #expect(await h.stop() == .stopped)
    }

    @Test("HTTP sessions expired: the next POST gets 403, a fresh cookie jar logs in, and the picture is synced again")
    func expiredHTTPSession() async throws {
        let h = try SessionHarness()
        h.start()
        let first = await h.waitForSynced()
        await h.waitUntil("the long poll parked") { h.gws.parkedPolls == 1 }
        h.gws.change(state: "Ready")
        await h.waitForSynced("Ready") { $0.agent.state == "Ready" }
        await h.waitUntil("the long poll parked again") { h.gws.parkedPolls == 1 }
        h.gws.expireHTTPSessions()
        let second = await h.waitForSynced("synced in a new session") { $0.connection.handshakes == 2 }
        #expect(second?.connection.clientID != first?.connection.clientID)
        #expect(Self.freshLogins(h.gws) == 2)
        #expect(h.gws.requests.contains { $0.status == 403 })
        #expect(h.logMessages.contains { $0.hasPrefix("warning: GWS session lost") })
        // A change after the recovery reaches the file: nothing is stuck on the old session.
        await h.waitUntil("the new long poll parked") { h.gws.parkedPolls == 1 }
        h.gws.change(state: "NotReady", dnd: true)
        await h.waitForSynced("DND on") { $0.agent.dnd == true && $0.agent.state == "NotReady" }
        #expect(await h.stop() == .stopped)
    }

    @Test("A node restart loses both sessions: Bayeux retries, meets the 403, logs in again")
    func restartLosesEverything() async throws {
        let h = try SessionHarness()
        h.start()
        await h.waitForSynced()
        await h.waitUntil("the long poll parked") { h.gws.parkedPolls == 1 }
        h.gws.restart()
        // The change made while the session was down is found by the resync.
        h.gws.change(state: "Ready", dnd: true)
        let document = await h.waitForSynced("synced after the restart") { $0.connection.handshakes == 2 }
        #expect(document?.agent.state == "Ready")
        #expect(document?.agent.dnd == true)
        #expect(await h.stop() == .stopped)
    }

    @Test("A refused resync snapshot (401 or 403) logs in again in a fresh session")
    func refusedResync() async throws {
        for status in [401, 403] {
            let h = try SessionHarness()
            h.gws.refuseSnapshots(status)
            h.start()
            await h.waitForSynced("synced after a refused resync (\(status))")
            #expect(Self.freshLogins(h.gws) == 2)
            #expect(h.gws.handshakes == 2)
            #expect(await h.stop() == .stopped)
        }
    }

    @Test("Password changed on the server and on disk: the 401 re-reads the file and logs in with it")
    func passwordRotated() async throws {
        let h = try SessionHarness()
        h.start()
        await h.waitForSynced()
        await h.waitUntil("the long poll parked") { h.gws.parkedPolls == 1 }
        try h.directory.write("password", "rotated-2\n")
        h.gws.changePassword("rotated-2")
        await h.waitForSynced("synced with the new password") { $0.connection.handshakes == 2 }
        #expect(h.logMessages.contains { $0.contains("the password changed at its source") })
        #expect(!h.logMessages.contains { $0.contains("rotated-2") })
        #expect(await h.stop() == .stopped)
    }

    @Test("Password changed on the server only: each 401 counts once the file is re-read; the session gives up")
    func passwordRefused() async throws {
        let h = try SessionHarness()
        h.start()
        await h.waitForSynced()
        await h.waitUntil("the long poll parked") { h.gws.parkedPolls == 1 }
        h.gws.changePassword("not-on-disk")
        for _ in 0..<2 { await h.advanceToNextTimer() }
        let outcome = await h.outcome()
        guard case .fatal(.authenticationFailed)? = outcome else {
            Issue.record("expected the session to give up on the credentials, got \(String(describing: outcome))")
            return
        }
        #expect(h.gws.logins.filter { $0.status == 401 }.count == 3)
        #expect(h.state?.connection.state == .disconnected)
    }

    @Test("Every login accepted and every CometD POST refused: logins wait for the backoff")
    func pacedLogins() async throws {
        let h = try SessionHarness()
        h.gws.refuseCometD(true)
        h.start()
        var elapsed = Duration.zero
        while elapsed < .seconds(20) {
            guard let step = await h.advanceToNextTimer() else { break }
            elapsed += step
        }
        let logins = h.gws.logins.count
        // The first retry is at once, then 0.5-1 s, 1-2 s, ...: never a tight loop.
        #expect(logins >= 4 && logins <= 12, "\(logins) logins in \(elapsed) of manual time")
        #expect(h.state?.connection.connected == false)
        #expect(h.state?.agent.synced == false)
        #expect(h.statusLines.contains { $0.contains("Missing or invalid Csrf token") })
        #expect(h.logMessages.filter { $0.hasPrefix("warning: GWS session lost") }.count == 1)
        #expect(await h.stop() == .stopped)
    }

    @Test("Node stopped on a two-node cluster: the daemon logs in on the other node and stays there")
    func failover() async throws {
        let h = try SessionHarness(nodes: 2)
        h.start()
        await h.waitForSynced { $0.connection.server == h.gws.baseURLs[0] }
        await h.waitUntil("the long poll parked") { h.gws.parkedPolls == 1 }
        h.gws.stop(node: 0)
        h.gws.change(state: "Ready")
        var moved: Duration = .zero
        while moved < .seconds(30) {
            let step = await h.advanceToNextTimer(unless: { h.state?.connection.server == h.gws.baseURLs[1] })
            guard let step else { break }
            moved += step
        }
        let document = await h.waitForSynced("synced on node 2") { $0.connection.server == h.gws.baseURLs[1] }
        #expect(document?.agent.state == "Ready")
        #expect(moved < .seconds(15), "failover took \(moved) of backoff")
        #expect(h.logMessages.contains { $0.contains("moving to the next node") })
        #expect(await h.stop() == .stopped)
    }

    @Test("A reload that lengthens the heartbeat and network delay is what the watchdog judges by")
    func watchdogAllowanceFollowsReload() async throws {
        let h = try SessionHarness(heartbeat: 5)
        h.start()
        await h.waitForSynced()
        #expect(h.session.health.allowance.heartbeat == .seconds(5))
        var longer = h.configuration
        longer.heartbeatSeconds = 120
        longer.server.maxNetworkDelay = .seconds(60)
        await h.session.reload(longer)
        let health = h.session.health
        #expect(health.allowance == HealthAllowance(heartbeat: .seconds(120), maxNetworkDelay: .seconds(60)))
        // 100 s without a heartbeat is healthy with a 120 s heartbeat (it was not with 5 s).
        #expect(health.isHealthy(now: health.loopProgress + .seconds(100)) == true)
        #expect(await h.stop() == .stopped)
    }

    @Test("After a reload to an unreachable server, a failing login leaves no ended client for the watchdog")
    func watchdogAfterReloadToDeadServer() async throws {
        let h = try SessionHarness(nodes: 2, heartbeat: 5)
        h.start()
        await h.waitForSynced()
        #expect(h.session.health.bayeuxProgress != nil)
        h.gws.stop(node: 1)
        var moved = h.configuration
        moved.server.urls = [h.gws.baseURLs[1]]
        await h.session.reload(moved)
        await h.waitUntil("the old client ended") { h.session.health.bayeuxProgress == nil }
        // Ten minutes of refused logins: the loop keeps going, so the watchdog keeps pinging.
        var elapsed = Duration.zero
        while elapsed < .seconds(600) {
            guard let step = await h.advanceToNextTimer() else { break }
            elapsed += step
            // Each timer (a heartbeat, a login retry) is an input the session loop handles.
            await h.waitUntil("the session loop handled the timer") { h.session.health.loopProgress == h.time.now }
            #expect(h.session.health.isHealthy(now: h.time.now), "unhealthy after \(elapsed)")
        }
        #expect(elapsed >= .seconds(600))
        #expect(h.gws.requests.filter { $0.node == 1 }.count > 5)
        #expect(await h.stop() == .stopped)
    }
}
