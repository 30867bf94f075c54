import AgentState
import Foundation
import GWSSimulator
import Testing

/// The real daemon against the strict gws-sim, once per way GWS ends a session: each time
/// the daemon comes back by itself, synced, with every change made during the fault.
@Suite("End to end: every way GWS ends a session")
struct SessionLossTests {
    /// Waits for synced with the simulator's truth (state and DND of the agent), in a
    /// session made after at least `handshakes` handshakes (a change can reach the old
    /// session's parked poll before the loss is noticed: the new session is what counts).
    static func waitForTruth(
        _ f: DaemonFixture, _ what: String, handshakes: Int = 1
    ) async -> StateDocument? {
        let truth = await f.simulator.engine.agent()
        let state = truth?.channels.first { $0.name == "voice" }?.state.state
        let dnd = truth?.channels.first { $0.name == "voice" }?.dnd
        return await f.waitForState(what) { document in
            document.connection.connected && document.agent.synced && document.connection.handshakes >= handshakes
                && document.agent.channels.first { $0.name == "voice" }?.state == state
                && document.agent.channels.first { $0.name == "voice" }?.dnd == dnd
        }
    }

    @Test("HTTP sessions expired: 403 on the next POST, a fresh login, synced again with the change made meanwhile")
    func httpSessionsExpired() async throws {
        try await withDaemon { f in
            try f.start()
            let first = try #require(await f.waitForSynced())
            await f.simulator.engine.expireHTTPSessions()
            await f.simulator.engine.apply("Ready")
            let second = await Self.waitForTruth(f, "synced in a new HTTP session with the agent Ready", handshakes: 2)
            #expect(second?.connection.clientID != first.connection.clientID)
            let requests = await f.simulator.engine.requests
            #expect(requests.contains { $0.status == 403 && $0.path == GWSSimulator.notificationsPath })
            // The login after the loss carried no cookie: a fresh jar, not the dead session.
            let lastLogin = requests.last { $0.method == "GET" && $0.path == "/api/v2/me" && $0.cookies.isEmpty }
            #expect(lastLogin != nil)
            #expect(f.simulator.counters[.csrfFailures] >= 1)
            await f.simulator.engine.apply("DoNotDisturbOn")
            #expect(await Self.waitForTruth(f, "DND on after the recovery") != nil)
        }
    }

    @Test("A restart that loses the HTTP sessions too: synced again")
    func restartLosesHTTPSessions() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            try await f.simulator.restart(downtime: .milliseconds(300))
            await f.simulator.engine.apply("Ready")
            let document = await Self.waitForTruth(f, "synced after the restart", handshakes: 2)
            #expect((document?.connection.handshakes ?? 0) >= 2)
        }
    }

    @Test("Password changed on the server, then on disk: the daemon re-reads it and comes back without a restart")
    func passwordChangedServerFirst() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            await f.simulator.engine.changePassword("rotated-\(UUID().uuidString.prefix(8))")
            let password = await f.simulator.engine.agent()?.password ?? ""
            try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: f.directory + "/password"))
            await f.simulator.engine.expireHTTPSessions()
            await f.simulator.engine.apply("Ready")
            #expect(await Self.waitForTruth(f, "synced with the rotated password", handshakes: 2) != nil)
            #expect(f.daemon?.process.isRunning == true)
            #expect(!f.everythingWritten.contains(password))
        }
    }

    @Test("Password changed on disk first, then on the server: no interruption beyond one login")
    func passwordChangedDiskFirst() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            try Data("disk-first-pw\n".utf8).write(to: URL(fileURLWithPath: f.directory + "/password"))
            await f.simulator.engine.apply("Ready")
            #expect(await Self.waitForTruth(f, "still synced with the old password on the server") != nil)
            await f.simulator.engine.changePassword("disk-first-pw")
            await f.simulator.engine.apply("NotReady")
            #expect(await Self.waitForTruth(f, "synced with the password from disk", handshakes: 2) != nil)
            #expect(f.daemon?.output.contains("the password changed at its source") == true)
        }
    }

    @Test("EndContactCenterSession from another desktop: the agent is logged out and the daemon logs in again")
    func endContactCenterSession() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            await f.simulator.engine.endContactCenterSession()
            let document = await Self.waitForTruth(f, "synced with the agent logged out", handshakes: 2)
            #expect(document?.agent.state == "LoggedOut")
            await f.simulator.engine.apply("StartContactCenterSession")
            #expect(await Self.waitForTruth(f, "synced after a new contact-center session") != nil)
        }
    }

    @Test("--nodes 2: the node in use stops; the daemon moves to the other one, stays there, and can move back")
    func nodeStopped() async throws {
        try await withDaemon(nodes: 2) { f in
            try f.writeConfig(urls: f.urls)
            try f.start()
            let first = await f.waitForState("synced on node 1") {
                $0.connection.connected && $0.agent.synced && $0.connection.server == f.urls[0]
            }
            #expect(first != nil)
            await f.simulator.stopListening(node: 0)
            await f.simulator.engine.apply("Ready")
            let moved = await f.waitForState("synced on node 2 with the agent Ready") {
                $0.connection.connected && $0.agent.synced && $0.connection.server == f.urls[1]
                    && $0.agent.state == "Ready"
            }
            #expect(moved != nil)
            try await f.simulator.startListening(node: 0)
            await f.simulator.engine.apply("DoNotDisturbOn")
            let stayed = await Self.waitForTruth(f, "DND on, still on node 2")
            #expect(stayed?.connection.server == f.urls[1])
            await f.simulator.stopListening(node: 1)
            let back = await f.waitForState("synced on node 1 again") {
                $0.connection.connected && $0.agent.synced && $0.connection.server == f.urls[0]
            }
            #expect(back != nil)
            let metrics = (try? String(contentsOfFile: f.metricsPath, encoding: .utf8)) ?? ""
            #expect(metrics.contains("gws_agentd_failovers_total"))
        }
    }

    /// The faults of this suite, applied while the daemon's resync snapshot is held back.
    static let duringResync: [(name: String, fault: @Sendable (DaemonFixture) async throws -> Void)] = [
        ("sessions expired", { await $0.simulator.engine.expireHTTPSessions() }),
        ("restart", { try await $0.simulator.restart(downtime: .milliseconds(200)) }),
        ("end-session", { await $0.simulator.engine.endContactCenterSession() }),
        (
            "password rotated",
            { f in
                await f.simulator.engine.changePassword("during-resync")
                try Data("during-resync\n".utf8).write(to: URL(fileURLWithPath: f.directory + "/password"))
            }
        ),
    ]

    @Test("The same faults while a resync is in flight", arguments: 0..<4)
    func duringResync(index: Int) async throws {
        let (name, fault) = Self.duringResync[index]
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            // The next REST request (the resync after the re-handshake) is held for 1.5 s.
            await f.simulator.engine.inject(.delay(.milliseconds(1500)), count: 1, target: .rest)
            await f.simulator.engine.dropSessions()
            #expect(await f.waitForState("the resync in flight (\(name))") { !$0.agent.synced } != nil)
            try await fault(f)
            await f.simulator.engine.apply("StartContactCenterSession")
            await f.simulator.engine.apply("Ready")
            #expect(await Self.waitForTruth(f, "synced after \(name) during a resync") != nil)
        }
    }

    @Test("--nodes 2: the node stops while a resync is in flight")
    func nodeStoppedDuringResync() async throws {
        try await withDaemon(nodes: 2) { f in
            try f.writeConfig(urls: f.urls)
            try f.start()
            #expect(await f.waitForSynced() != nil)
            await f.simulator.engine.inject(.delay(.milliseconds(1500)), count: 1, target: .rest)
            await f.simulator.engine.dropSessions()
            #expect(await f.waitForState("the resync in flight") { !$0.agent.synced } != nil)
            await f.simulator.stopListening(node: 0)
            await f.simulator.engine.apply("Ready")
            let document = await f.waitForState("synced on node 2 with the agent Ready") {
                $0.connection.connected && $0.agent.synced && $0.connection.server == f.urls[1]
                    && $0.agent.state == "Ready"
            }
            #expect(document != nil)
        }
    }
}
