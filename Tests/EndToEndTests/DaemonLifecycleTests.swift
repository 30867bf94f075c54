import AgentState
import Foundation
import GWSSimulator
import Locking
import TestSupport
import Testing

@Suite("gws-agentd run, end to end", .serialized)
struct DaemonLifecycleTests {
    @Test("Start-up: READY=1 after the first state file, then connected, synced and STATUS")
    func startup() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            let ready = await f.notify.wait(for: "READY=1") { $0.contains("READY=1") }
            #expect(ready)
            let synced = await f.waitForSynced(agentState: "NotReady")
            #expect(synced != nil)
            #expect(synced?.agent.username == "agent1")
            #expect(synced?.pid == Int(daemon.pid))
            #expect(synced?.agent.devices.count == 1)
            #expect(synced?.agent.channels.map(\.name) == ["voice", "chat", "email"])
            #expect(synced?.connection.handshakes == 1)
            #expect(synced?.connection.clientID != nil)
            let status = await f.notify.wait(for: "STATUS=connected, NotReady, DND off") {
                $0.contains("STATUS=connected, NotReady, DND off")
            }
            #expect(status)
            // READY came before any status about the connection.
            let assignments = f.notify.assignments
            let readyIndex = assignments.firstIndex(of: "READY=1") ?? .max
            let connectedIndex = assignments.firstIndex { $0.hasPrefix("STATUS=connected") } ?? -1
            #expect(readyIndex < connectedIndex)
            let mode = (try? FileManager.default.attributesOfItem(atPath: f.statePath)[.posixPermissions] as? Int) ?? 0
            #expect(mode & 0o777 == 0o644)
            // Requests to GWS carried the credentials, the cookie and the CSRF header.
            let requests = await f.simulator.engine.requests
            let cometd = requests.filter { $0.path == GWSSimulator.notificationsPath }
            #expect(cometd.allSatisfy { $0.headers.contains("authorization") && $0.headers.contains("x-csrf-token") })
            #expect(cometd.dropFirst().allSatisfy { $0.headers.contains("cookie") })
            #expect(requests.filter { $0.path == "/api/v2/me" }.count == 2)
        }
    }

    @Test("With the server down, READY=1 still comes, the file says connected: false, and STATUS says why")
    func serverDown() async throws {
        try await withDaemon { f in
            try f.writeConfig(url: "http://127.0.0.1:1")
            try f.start()
            await f.notify.wait(for: "READY=1") { $0.contains("READY=1") }
            let document = await f.waitForState { $0.connection.state == .connecting }
            #expect(document?.connection.connected == false)
            #expect(document?.agent.state == "Unknown")
            #expect(document?.agent.dnd == nil)
            await f.notify.wait(for: "STATUS=reconnecting in") {
                $0.contains {
                    $0.hasPrefix("STATUS=reconnecting in") && $0.contains("connection refused at 127.0.0.1:1")
                }
            }
            let failed = await f.waitForState { $0.connection.lastError != nil }
            #expect(failed?.connection.lastError?.message.contains("connection refused at 127.0.0.1:1: ") == true)
        }
    }

    @Test("SIGTERM: STOPPING=1, /meta/disconnect, a final state file that says stopped, exit 0")
    func sigterm() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            let clock = ContinuousClock()
            let start = clock.now
            daemon.signal(SIGTERM)
            let status = await daemon.waitForExit()
            #expect(status == 0, "\(daemon.output.suffix(4000))")
            #expect(start.duration(to: clock.now) < .seconds(3))
            #expect(f.notify.assignments.contains("STOPPING=1"))
            let final = f.state()
            #expect(final?.connection.state == .stopped)
            #expect(final?.connection.connected == false)
            #expect(final?.agent.synced == false)
            let requests = await f.simulator.engine.requests
            #expect(requests.contains { $0.channels.contains("/meta/disconnect") })
            #expect(await f.simulator.engine.bayeuxSessions == 0)
        }
    }

    @Test("SIGINT stops the daemon the same way")
    func sigint() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            daemon.signal(SIGINT)
            #expect(await daemon.waitForExit() == 0)
            #expect(f.state()?.connection.state == .stopped)
        }
    }

    @Test("Watchdog pings at half WATCHDOG_USEC while the session progresses")
    func watchdog() async throws {
        try await withDaemon { f in
            try f.start(environment: ["WATCHDOG_USEC": "1000000"])
            #expect(await f.waitForSynced() != nil)
            let pinged = await f.notify.wait(for: "four watchdog pings") { $0.filter { $0 == "WATCHDOG=1" }.count >= 4 }
            #expect(pinged)
        }
    }

    @Test("No watchdog pings without WATCHDOG_USEC")
    func noWatchdog() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            // Three heartbeats (state.heartbeat_s: 1), each a new mtime: with a watchdog of
            // that period there would have been pings by then; then the daemon's whole life
            // is in the listener's record.
            let mtimes = Locked<Set<Double>>([])
            await waitUntil("three heartbeats of the state file") {
                let attributes = try? FileManager.default.attributesOfItem(atPath: f.statePath)
                if let mtime = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 {
                    mtimes.withLock { _ = $0.insert(mtime) }
                }
                return mtimes.withLock { $0.count } >= 3
            }
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            #expect(f.notify.assignments.contains("STOPPING=1"))
            #expect(!f.notify.assignments.contains("WATCHDOG=1"))
        }
    }

    @Test("An invalid configuration exits 78 with the key in the message")
    func badConfiguration() async throws {
        try await withDaemon { f in
            try f.writeConfig(extra: "bogus:\n  key: 1\n")
            let daemon = try f.start()
            #expect(await daemon.waitForExit() == 78)
            #expect(daemon.output.contains("bogus.key"))
            #expect(f.notify.assignments.contains { $0.hasPrefix("STATUS=configuration error: bogus.key") })
        }
    }
}
