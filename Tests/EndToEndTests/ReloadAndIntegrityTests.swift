import AgentState
import Foundation
import GWSSimulator
import Locking
import ScriptedHTTPServer
import TestSupport
import Testing

@Suite("Reload, secrets and file integrity", .serialized)
struct ReloadAndIntegrityTests {
    @Test("SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1; paths move without a reconnect")
    func reloadWithoutReconnect() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            let moved = f.directory + "/moved.json"
            try f.writeConfig(stateFile: moved, level: "warning")
            daemon.signal(SIGHUP)
            await f.notify.wait(for: "READY=1 after the reload") { $0.filter { $0 == "READY=1" }.count >= 2 }
            let assignments = f.notify.assignments
            let reloading = try #require(assignments.firstIndex(of: "RELOADING=1"))
            #expect(assignments[reloading + 1].hasPrefix("MONOTONIC_USEC="))
            let usec = UInt64(assignments[reloading + 1].dropFirst("MONOTONIC_USEC=".count)) ?? 0
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            #expect(usec > 0 && usec <= UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000)
            #expect(assignments.lastIndex(of: "READY=1") ?? 0 > reloading)
            await waitUntil("the state file at its new path") { FileManager.default.fileExists(atPath: moved) }
            #expect(!FileManager.default.fileExists(atPath: f.statePath))
            #expect(f.simulator.counters[.handshakes] == 1)
            // The new level applies: the info-level change event is not written. A refused
            // reload (an error, so written) after the change is handled marks the point by
            // which the change's line would be in the output.
            await f.simulator.engine.apply("Ready")
            await waitUntil("the change in the moved file") {
                FileManager.default.contents(atPath: moved).flatMap { try? StateDocument.decode(Array($0)) }?
                    .agent.state == "Ready"
            }
            try "server: [not, a, mapping".write(toFile: f.configPath, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            await waitUntil("the refused reload logged") { daemon.output.contains("reload failed") }
            #expect(!daemon.output.contains("agent Ready"), "an info-level line at level warning")
        }
    }

    @Test("SIGHUP with new server settings reconnects with a new session")
    func reloadWithReconnect() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            try f.writeConfig(extra: "notifications:\n  channels: [/v2/me/devices]\n")
            daemon.signal(SIGHUP)
            let reconnected = await f.waitForState { $0.connection.handshakes == 2 && $0.agent.synced }
            #expect(reconnected != nil)
            #expect(f.simulator.counters[.handshakes] == 2)
            // The new session's HTTP client, made while the old one was still disconnecting,
            // also runs on the executor thread: no libcurl thread of its own.
            let threads = daemon.threadNames
            #expect(threads.contains("swift-executor"))
            #expect(!threads.contains("curl-loop"))
            // Nor any libdispatch thread, whose manager would try to raise its own priority.
            let ours: Set = ["gws-agentd", "swift-executor", "signals", "control-socket"]
            #expect(Set(threads).isSubset(of: ours), "threads: \(threads)")
        }
    }

    @Test("SIGHUP with an invalid or missing configuration keeps the running one")
    func reloadInvalid() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            try Data("server:\n  url: [broken\n".utf8).write(to: URL(fileURLWithPath: f.configPath))
            daemon.signal(SIGHUP)
            await f.notify.wait(for: "READY=1 after the reload") { $0.filter { $0 == "READY=1" }.count >= 2 }
            try FileManager.default.removeItem(atPath: f.configPath)
            daemon.signal(SIGHUP)
            await f.notify.wait(for: "READY=1 after the second reload") { $0.filter { $0 == "READY=1" }.count >= 3 }
            #expect(daemon.output.contains("reload failed; keeping the running configuration"))
            await f.simulator.engine.apply("Ready")
            #expect(await f.waitForState { $0.agent.state == "Ready" && $0.connection.connected } != nil)
            #expect(daemon.process.isRunning)
        }
    }

    @Test(
        "The password never appears in output, state, metrics or notifications, at debug level and in every format",
        arguments: ["json", "text"])
    func passwordNeverShown(format: String) async throws {
        try await withDaemon { f in
            try f.writeConfig(extra: "")
            let text = try String(contentsOfFile: f.configPath, encoding: .utf8).replacingOccurrences(
                of: "format: json", with: "format: \(format)")
            try Data(text.utf8).write(to: URL(fileURLWithPath: f.configPath))
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            await f.simulator.engine.apply("Ready")
            await f.simulator.engine.inject(.status(500), count: 1, target: .cometd)
            #expect(await f.waitForState { $0.agent.state == "Ready" } != nil)
            daemon.signal(SIGTERM)
            _ = await daemon.waitForExit()
            let everything = f.everythingWritten
            #expect(everything.contains("debug"))
            #expect(!everything.contains(DaemonFixture.password))
            // Neither the Basic credentials nor the session's cookies or CSRF token.
            let basic = Data("agent1:\(DaemonFixture.password)".utf8).base64EncodedString()
            #expect(!everything.contains(basic))
            #expect(!everything.contains("JSESSIONID="))
            #expect(!everything.contains("BAYEUX_BROWSER="))
        }
    }

    @Test("A reader parsing the file in a loop during a burst never sees a torn file; the final state is right")
    func neverTorn() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let path = f.statePath
            let stop = Locked(false)
            let readsSoFar = Locked(0)
            let reader = Task.detached {
                try await offPool { () -> (reads: Int, torn: Int) in
                    var reads = 0
                    var torn = 0
                    while !stop.withLock({ $0 }) {
                        guard let data = FileManager.default.contents(atPath: path) else { continue }
                        reads += 1
                        readsSoFar.withLock { $0 = reads }
                        if (try? StateDocument.decode(Array(data))) == nil { torn += 1 }
                    }
                    return (reads, torn)
                }
            }
            // Rounds of 400 changes until the reader has read 100 times during them: on a
            // busy machine it may get fewer reads in one round (at most 25 rounds).
            let operations = ["Ready", "DoNotDisturbOn", "NotReady", "DoNotDisturbOff"]
            var rounds = 0
            repeat {
                for index in 0..<400 { await f.simulator.engine.apply(operations[index % operations.count]) }
                rounds += 1
            } while readsSoFar.withLock({ $0 }) < 100 && rounds < 25
            await f.simulator.engine.apply("Ready")
            let final = await f.waitForState { $0.agent.state == "Ready" && $0.agent.dnd == false }
            stop.withLock { $0 = true }
            let (reads, torn) = try await reader.value
            #expect(final != nil)
            #expect(reads >= 100, "\(reads) reads in \(rounds) rounds of changes")
            #expect(torn == 0)
            // Coalesced: far fewer writes than the notifications (two per change).
            #expect((final?.seq ?? .max) < 400 * rounds)
        }
    }
}
