import AgentState
import Foundation
import GWSSimulator
import TestSupport
import Testing

@testable import AgentDaemon

/// One agent's runner against gws-sim's rules in memory, on manual time: one test per way
/// GWS ends a session, none of them sleeping through a real backoff or hold.
@Suite("Runner: recovery from lost GWS sessions")
struct RunnerRecoveryTests {
    @Test("Start: a login in a fresh HTTP session, handshake, subscriptions, resync; CSRF sent on CometD")
    func startup() async throws {
        let h = try await RunnerHarness()
        h.start()
        let document = await h.waitForSynced()
        #expect(document?.connection.server == h.gws.baseURLs[0])
        #expect(await h.freshLogins() == 1)
        // Every CometD POST passed the strict CSRF check.
        #expect(await h.requests().filter { !$0.channels.isEmpty }.allSatisfy { $0.status == 200 })
        #expect(await h.stop() == .stopped)
    }

    @Test("HTTP sessions expired: the next POST gets 403, a fresh cookie jar logs in, and the picture is synced again")
    func expiredHTTPSession() async throws {
        let h = try await RunnerHarness()
        h.start()
        let first = await h.waitForSynced()
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        await h.change(state: "Ready")
        await h.waitForSynced("Ready") { $0.agent.state == "Ready" }
        await waitUntil("the long poll parked again") { await h.parkedPolls() == 1 }
        await h.engine.expireHTTPSessions()
        // The parked poll ends at its hold time; the next POST meets the lost session.
        h.endHolds()
        let second = await h.waitForSynced("synced in a new session") { $0.connection.handshakes == 2 }
        #expect(second?.connection.clientID != first?.connection.clientID)
        #expect(await h.freshLogins() == 2)
        #expect(await h.requests().contains { $0.status == 403 })
        #expect(h.logMessages.contains { $0.hasPrefix("warning: GWS session lost") })
        // A change after the recovery reaches the file: nothing is stuck on the old session.
        await waitUntil("the new long poll parked") { await h.parkedPolls() == 1 }
        await h.change(state: "NotReady", dnd: true)
        await h.waitForSynced("DND on") { $0.agent.dnd == true && $0.agent.state == "NotReady" }
        #expect(await h.stop() == .stopped)
    }

    @Test("A node restart loses both sessions: Bayeux retries, meets the 403, logs in again")
    func restartLosesEverything() async throws {
        let h = try await RunnerHarness()
        h.start()
        await h.waitForSynced()
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        await h.gws.restart()
        // The change made while the session was down is found by the resync.
        await h.change(state: "Ready", dnd: true)
        let document = await h.waitForSynced("synced after the restart") { $0.connection.handshakes == 2 }
        #expect(document?.agent.state == "Ready")
        #expect(document?.agent.dnd == true)
        #expect(await h.stop() == .stopped)
    }

    @Test("A refused resync snapshot (401 or 403) logs in again in a fresh session", arguments: [401, 403])
    func refusedResync(status: Int) async throws {
        let h = try await RunnerHarness()
        await h.engine.inject(.status(status), target: .restInSession)
        h.start()
        await h.waitForSynced("synced after a refused resync (\(status))")
        #expect(await h.freshLogins() == 2)
        #expect(await h.handshakes() == 2)
        #expect(await h.stop() == .stopped)
    }

    @Test("Password changed on the server and on disk: the 401 re-reads the file and logs in with it")
    func passwordRotated() async throws {
        let h = try await RunnerHarness()
        h.start()
        await h.waitForSynced()
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        try h.directory.write("password", "rotated-2\n")
        await h.engine.changePassword("rotated-2")
        h.endHolds()
        await h.waitForSynced("synced with the new password") { $0.connection.handshakes == 2 }
        #expect(h.logMessages.contains { $0.contains("the password changed at its source") })
        #expect(!h.logMessages.contains { $0.contains("rotated-2") })
        #expect(await h.stop() == .stopped)
    }

    @Test("Password changed on the server only: each 401 counts once the file is re-read; the runner gives up")
    func passwordRefused() async throws {
        let h = try await RunnerHarness()
        h.start()
        await h.waitForSynced()
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        await h.engine.changePassword("not-on-disk")
        h.endHolds()
        var outcome: AgentOutcome?
        for _ in 0..<20 where outcome == nil {
            await h.advanceToNextTimer(unless: { h.state?.connection.state == .disconnected })
            if h.state?.connection.state == .disconnected { outcome = await h.outcome() }
        }
        guard case .fatal(.authenticationFailed)? = outcome else {
            Issue.record("expected the runner to give up on the credentials, got \(String(describing: outcome))")
            return
        }
        #expect(await h.logins().filter { $0.status == 401 }.count == 3)
        #expect(h.state?.connection.state == .disconnected)
    }

    @Test("Every login accepted and every CometD POST refused: logins wait for the backoff")
    func pacedLogins() async throws {
        let h = try await RunnerHarness()
        await h.engine.inject(.status(403), count: 10_000, target: .cometd)
        h.start()
        var elapsed = Duration.zero
        while elapsed < .seconds(20) {
            guard let step = await h.advanceToNextTimer() else { break }
            elapsed += step
        }
        let logins = await h.logins().count
        // The first retry is at once, then 0.5-1 s, 1-2 s, ...: never a tight loop.
        #expect(logins >= 4 && logins <= 12, "\(logins) logins in \(elapsed) of manual time")
        #expect(h.state?.connection.connected == false)
        #expect(h.state?.agent.synced == false)
        #expect(h.statusLines.contains { $0.contains("HTTP 403") })
        #expect(h.logMessages.filter { $0.hasPrefix("warning: GWS session lost") }.count == 1)
        #expect(await h.stop() == .stopped)
    }

    @Test("Node stopped on a two-node cluster: the daemon logs in on the other node and stays there")
    func failover() async throws {
        let h = try await RunnerHarness(nodes: 2)
        h.start()
        await h.waitForSynced { $0.connection.server == h.gws.baseURLs[0] }
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        await h.gws.stop(node: 0)
        await h.change(state: "Ready")
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
        let h = try await RunnerHarness(heartbeat: 5)
        h.start()
        await h.waitForSynced()
        #expect(h.runner.health.allowance.heartbeat == .seconds(5))
        var longer = h.configuration
        longer.heartbeatSeconds = 120
        longer.server.maxNetworkDelay = .seconds(60)
        await h.runner.reload(longer)
        let health = h.runner.health
        #expect(health.allowance == HealthAllowance(heartbeat: .seconds(120), maxNetworkDelay: .seconds(60)))
        // 100 s without a heartbeat is healthy with a 120 s heartbeat (it was not with 5 s).
        #expect(health.isHealthy(now: health.loopProgress + .seconds(100)) == true)
        #expect(await h.stop() == .stopped)
    }

    @Test("After a reload to an unreachable server, a failing login leaves no ended client for the watchdog")
    func watchdogAfterReloadToDeadServer() async throws {
        let h = try await RunnerHarness(nodes: 2, heartbeat: 5)
        h.start()
        await h.waitForSynced()
        #expect(h.runner.health.bayeuxProgress != nil)
        await h.gws.stop(node: 1)
        var moved = h.configuration
        moved.server.urls = [h.gws.baseURLs[1]]
        await h.runner.reload(moved)
        await waitUntil("the old client ended") { h.runner.health.bayeuxProgress == nil }
        // Ten minutes of refused logins: the loop keeps going, so the watchdog keeps pinging.
        var elapsed = Duration.zero
        while elapsed < .seconds(600) {
            let due = h.time.nextDelay
            guard let step = await h.advanceToNextTimer() else { break }
            elapsed += step
            // Each timer reached (a heartbeat, a login retry) is an input the runner's loop handles.
            if step == due {
                await waitUntil("the runner's loop handled the timer") { h.runner.health.loopProgress == h.time.now }
            }
            #expect(h.runner.health.isHealthy(now: h.time.now), "unhealthy after \(elapsed)")
        }
        #expect(elapsed >= .seconds(600))
        #expect(h.gws.refusedConnections(node: 1) > 5)
        #expect(await h.stop() == .stopped)
    }
}
