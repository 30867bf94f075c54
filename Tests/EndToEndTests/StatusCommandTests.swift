import AgentState
import Foundation
import GWSSimulator
import TestSupport
import Testing

@Suite("gws-agentd status", .serialized)
struct StatusCommandTests {
    func run(_ f: DaemonFixture, _ arguments: [String]) async throws -> CommandResult {
        try await runCommand(arguments, directory: f.directory)
    }

    @Test("Connected and synced: 0 with a human summary; --json prints the file itself")
    func healthy() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let summary = try await run(f, ["status", "--state-file", f.statePath])
            #expect(summary.status == 0)
            let lines = summary.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "OK: agent1 NotReady, DND off; connected, synced")
            #expect(lines.contains { $0.hasPrefix("device      74152ed8") && $0.contains("(5001): NotReady, DND off") })
            #expect(lines.contains("channel     chat: NotReady, DND off"))
            #expect(lines.contains { $0.hasPrefix("connection  connected since ") })
            #expect(lines.contains { $0.hasPrefix("file        \(f.statePath) (seq ") })
            let json = try await run(f, ["status", "--json", "--state-file", f.statePath])
            #expect(json.status == 0)
            #expect(try StateDocument.decode(Array(json.stdout.utf8)).agent.username == "agent1")
        }
    }

    @Test("Not connected: 1")
    func notConnected() async throws {
        try await withDaemon { f in
            try f.writeConfig(url: "http://127.0.0.1:1")
            try f.start()
            #expect(await f.waitForState { $0.connection.state == .connecting } != nil)
            let result = try await run(f, ["status", "--state-file", f.statePath])
            #expect(result.status == 1)
            #expect(result.stdout.hasPrefix("WARNING: agent1 Unknown, DND unknown; connecting"))
        }
    }

    @Test("Stale (old mtime) or written by a process that is gone: 2")
    func staleOrGone() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            daemon.signal(SIGSTOP)
            var old = [timespec(tv_sec: time(nil) - 60, tv_nsec: 0), timespec(tv_sec: time(nil) - 60, tv_nsec: 0)]
            utimensat(AT_FDCWD, f.statePath, &old, 0)
            let stale = try await run(f, ["status", "--state-file", f.statePath])
            #expect(stale.status == 2)
            #expect(stale.stdout.hasPrefix("CRITICAL: stale: last updated"))
            daemon.signal(SIGKILL)
            _ = await daemon.waitForExit()
            let gone = try await run(f, ["status", "--state-file", f.statePath])
            #expect(gone.status == 2)
            #expect(gone.stdout.contains("which is gone"))
        }
    }

    @Test(
        "Missing, empty, truncated, wrong schema or not JSON: 3",
        arguments: ["missing", "empty", "truncated", "schema", "garbage"])
    func unreadable(kind: String) async throws {
        try await withDaemon { f in
            let path = f.directory + "/bad.json"
            let good = sampleState()
            switch kind {
            case "missing": break
            case "empty": try Data().write(to: URL(fileURLWithPath: path))
            case "truncated": try Data(good.prefix(good.count / 2)).write(to: URL(fileURLWithPath: path))
            case "schema":
                try Data(
                    String(decoding: good, as: UTF8.self).replacingOccurrences(of: #""schema":1"#, with: #""schema":7"#)
                        .utf8
                ).write(to: URL(fileURLWithPath: path))
            default: try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
            }
            let result = try await run(f, ["status", "--state-file", path])
            #expect(result.status == 3)
            #expect(result.stdout.hasPrefix("UNKNOWN: "))
            if kind == "schema" { #expect(result.stdout.contains("schema 7")) }
            let json = try await run(f, ["status", "--json", "--state-file", path])
            #expect(json.status == 3)
            #expect(json.stdout.isEmpty)
        }
    }

    @Test("--watch prints each change, and follows the daemon through a stop and a restart")
    func watch() async throws {
        try await withDaemon { f in
            let watcher = try DaemonProcess(
                arguments: ["status", "--watch", "--state-file", f.statePath], environment: [:],
                outputPath: f.directory + "/watch.log")
            defer { watcher.signal(SIGKILL) }
            let first = try f.start()
            #expect(await f.waitForSynced() != nil)
            await f.simulator.engine.apply("Ready")
            await waitUntil("status --watch printed \"agent1 Ready, DND off; connected, synced\"") {
                watcher.output.contains("agent1 Ready, DND off; connected, synced")
            }
            first.signal(SIGTERM)
            #expect(await first.waitForExit() == 0)
            try FileManager.default.removeItem(atPath: f.statePath)
            await waitUntil("status --watch printed \"removed (the daemon stopped)\"") {
                watcher.output.contains("removed (the daemon stopped)")
            }
            try f.start()
            await f.simulator.engine.apply("DoNotDisturbOn")
            await waitUntil("status --watch printed \"agent1 Ready, DND on; connected, synced\"") {
                watcher.output.contains("agent1 Ready, DND on; connected, synced")
            }
            #expect(watcher.process.isRunning)
        }
    }
}

/// A valid state file's bytes.
func sampleState() -> [UInt8] {
    StateDocument(
        generator: "gws-agentd 0.1.0", pid: 1, invocationID: nil, heartbeatSeconds: 10, seq: 1,
        changedAt: "2026-01-01T00:00:00.000Z",
        connection: .init(state: .connected, since: nil, clientID: nil, handshakes: 1, lastError: nil),
        agent: .init(username: "a", cache: AgentCache(), synced: true, lastNotificationAt: nil)
    ).encoded()
}
