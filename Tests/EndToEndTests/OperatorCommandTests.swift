import AgentState
import BuildVersion
import Foundation
import GWSSimulator
import Testing

@Suite("Operator commands against gws-sim", .serialized)
struct OperatorCommandTests {
    func run(
        _ f: DaemonFixture, _ arguments: [String], environment: [String: String] = [:]
    ) async throws -> CommandResult {
        try await runCommand(arguments, environment: environment, directory: f.directory)
    }

    @Test("--help and --version work for every command")
    func helpAndVersion() async throws {
        try await withDaemon { f in
            let version = try await run(f, ["--version"])
            #expect(version.status == 0)
            #expect(version.stdout == BuildVersion.current + "\n")
            for command in ["run", "status", "set", "states", "check-config"] {
                let help = try await run(f, [command, "--help"])
                #expect(help.status == 0, "\(command)")
                #expect(help.stdout.contains("USAGE: gws-agentd \(command)"), "\(command)")
            }
            let set = try await run(f, ["set", "--help"])
            #expect(set.stdout.contains("Exit status"))
        }
    }

    @Test("set ready, not-ready with a work mode, DND per channel and device; the simulator's truth follows")
    func setOperations() async throws {
        try await withDaemon { f in
            let ready = try await run(f, ["set", "ready", "--config", f.configPath])
            #expect(ready.status == 0)
            #expect(ready.stdout == "accepted: Ready on all channels\n")
            #expect(await f.simulator.engine.agent()?.devices.first?.state.state == "Ready")
            let acw = try await run(
                f, ["set", "not-ready", "--work-mode", "after-call-work", "--config", f.configPath])
            #expect(acw.status == 0)
            #expect(
                await f.simulator.engine.agent()?.channels.first { $0.name == "voice" }?.state.workMode
                    == "AfterCallWork")
            let chat = try await run(f, ["set", "dnd-on", "--channel", "chat", "--config", f.configPath])
            #expect(chat.status == 0)
            #expect(await f.simulator.engine.agent()?.channels.first { $0.name == "chat" }?.dnd == true)
            let deviceID = try #require(await f.simulator.engine.agent()?.devices.first?.id)
            let device = try await run(f, ["set", "dnd-on", "--device", deviceID, "--config", f.configPath])
            #expect(device.status == 0)
            #expect(await f.simulator.engine.agent()?.devices.first?.dnd == true)
            let custom = try await run(f, ["set", "--operation", "OutToLunch", "--config", f.configPath])
            #expect(custom.status == 0)
            #expect(await f.simulator.engine.agent()?.devices.first?.state.reason == "Lunch")
            // Every POST carried the session cookie and the CSRF header.
            let posts = await f.simulator.engine.requests.filter {
                $0.method == "POST" && $0.path.hasPrefix("/api/v2/me")
            }
            #expect(posts.count == 5)
            #expect(
                posts.allSatisfy {
                    $0.headers.contains("cookie") && $0.headers.contains("x-csrf-token") && $0.status == 200
                })
        }
    }

    @Test("set --wait confirms through its own CometD session when no daemon runs")
    func waitWithOwnSession() async throws {
        try await withDaemon { f in
            let result = try await run(f, ["set", "dnd-on", "--wait", "--timeout", "10", "--config", f.configPath])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stdout.contains("confirmed from GWS: agent1 NotReady, DND on"))
            #expect(result.stdout.contains("channel chat: NotReady, DND on"))
        }
    }

    @Test("set --wait finds the running daemon through the configuration's socket; no CometD session of its own")
    func waitWithDaemon() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let handshakes = f.simulator.counters[.handshakes]
            let result = try await run(f, ["set", "ready", "--wait", "--config", f.configPath])
            #expect(result.status == 0)
            #expect(result.stdout.contains("confirmed by the daemon's notifications: agent1 Ready, DND off"))
            #expect(f.simulator.counters[.handshakes] == handshakes)
        }
    }

    @Test(
        "Usage errors exit 64",
        arguments: [
            ["set", "bogus"], ["set", "ready", "--channel", "chat", "--device", "d"], ["set"],
            ["set", "ready", "--operation", "Ready"], ["set", "ready", "--work-mode", "aux-work"],
            ["frobnicate"], ["status", "--state-file", "/x", "--instance", "y"],
        ])
    func usageErrors(arguments: [String]) async throws {
        try await withDaemon { f in
            let result = try await run(f, arguments)
            #expect(result.status == 64)
            #expect(result.stderr.contains("Error:") || result.stderr.contains("Usage:"))
        }
    }

    @Test("An unknown channel is rejected by the server: exit 1 with its message")
    func unknownChannel() async throws {
        try await withDaemon { f in
            let result = try await run(f, ["set", "ready", "--channel", "fax", "--config", f.configPath])
            #expect(result.status == 1)
            #expect(
                result.stderr.contains(
                    "rejected: Ready on channel fax: GWS error 6 (resource not found): Channel 'fax' not found"))
        }
    }

    @Test("An operation invalid in the current state, in both reply formats", arguments: [false, true])
    func errorReplies(legacy: Bool) async throws {
        try await withDaemon(legacy: legacy) { f in
            #expect(
                try await run(
                    f, ["set", "not-ready", "--work-mode", "aux-work", "--channel", "voice", "--config", f.configPath]
                ).status == 0)
            let offline = try await run(
                f, ["set", "--operation", "Offline", "--channel", "voice", "--config", f.configPath])
            #expect(offline.status == 0)
            let result = try await run(f, ["set", "ready", "--channel", "voice", "--config", f.configPath])
            #expect(result.status == 1, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("logged out"))
            if !legacy {
                #expect(result.stderr.contains("GWS error 2 (a parameter is not valid for the current state)"))
            }
        }
    }

    @Test("A non-JSON reply and an unreachable server")
    func badServers() async throws {
        try await withDaemon { f in
            await f.simulator.engine.inject(.status(502), count: 1, target: .rest)
            let gateway = try await run(f, ["set", "ready", "--config", f.configPath])
            #expect(gateway.status == 69)
            #expect(gateway.stderr.contains("HTTP 502"))
            await f.simulator.engine.inject(.malformed, count: 1, target: .rest)
            let states = try await run(f, ["states", "--config", f.configPath])
            #expect(states.status == 1)
            #expect(states.stderr.contains("unusable reply"))
            try f.writeConfig(url: "http://127.0.0.1:1")
            let unreachable = try await run(f, ["set", "ready", "--config", f.configPath])
            #expect(unreachable.status == 69)
            #expect(unreachable.stderr.contains("cannot reach GWS"))
        }
    }

    @Test("states lists the operations, as a table and as JSON")
    func states() async throws {
        try await withDaemon { f in
            let table = try await run(f, ["states", "--config", f.configPath])
            #expect(table.status == 0)
            #expect(table.stdout.split(separator: "\n").first?.hasPrefix("OPERATION") == true)
            #expect(table.stdout.contains("OutToLunch"))
            let json = try await run(f, ["states", "--json", "--config", f.configPath])
            #expect(json.status == 0)
            #expect(
                json.stdout.contains(#""operation":"AfterCallWork","state":"NotReady","work_mode":"AfterCallWork""#))
        }
    }

    @Test("check-config: 0, 78 naming the key, --online 0, 69 unreachable, 78 refused credentials")
    func checkConfig() async throws {
        try await withDaemon { f in
            let ok = try await run(f, ["check-config", "--config", f.configPath])
            #expect(ok.status == 0)
            #expect(ok.stdout.hasPrefix("configuration OK"))
            #expect(!ok.stdout.contains(DaemonFixture.password))
            let online = try await run(f, ["check-config", "--online", "--config", f.configPath])
            #expect(online.status == 0)
            #expect(online.stdout.contains("GWS accepted the credentials: agent1"))
            try Data("wrong\n".utf8).write(to: URL(fileURLWithPath: f.directory + "/password"))
            let refused = try await run(f, ["check-config", "--online", "--config", f.configPath])
            #expect(refused.status == 78)
            try f.writeConfig(url: "http://127.0.0.1:1")
            let unreachable = try await run(f, ["check-config", "--online", "--config", f.configPath])
            #expect(unreachable.status == 69)
            try f.writeConfig(extra: "notifications:\n  colour: red\n")
            let bad = try await run(f, ["check-config", "--config", f.configPath])
            #expect(bad.status == 78)
            #expect(bad.stderr.contains("notifications.colour"))
        }
    }
}
