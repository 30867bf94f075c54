import AgentState
import Foundation
import GWSSimulator
import Testing

/// One daemon following 50 agents against the simulator: each agent's changes reach its
/// own file and no other; one agent's refused password or lost session leaves the others
/// synced; a reload adds and removes agents without touching the others.
@Suite(.serialized)
struct ManyAgentsTests {
    static let all = Array(1...50)

    @Test func eachAgentsChangeReachesItsOwnFileOnly() async throws {
        try await withManyAgents(served: 50, followed: 1...50) { fixture in
            let daemon = try fixture.start()
            #expect(
                await fixture.waitFor(
                    "all 50 agents connected and synced", agents: Self.all, ManyAgentsFixture.isSynced))
            await fixture.notify.wait(for: "STATUS= never said 50/50 synced") { $0.contains("STATUS=50/50 synced") }
            let before = Dictionary(uniqueKeysWithValues: Self.all.map { ($0, fixture.state($0)) })

            await fixture.simulator.engine.apply("Ready", username: ManyAgentsFixture.username(17))
            #expect(await fixture.waitFor("agent17 Ready", agents: [17]) { $0?.agent.state == "Ready" })
            await fixture.simulator.engine.apply("DoNotDisturbOn", username: ManyAgentsFixture.username(33))
            #expect(await fixture.waitFor("agent33 DND on", agents: [33]) { $0?.agent.dnd == true })

            for number in Self.all where number != 17 && number != 33 {
                let now = fixture.state(number)
                #expect(now?.agent.username == ManyAgentsFixture.username(number))
                #expect(now?.agent.state == before[number]??.agent.state, "agent\(number) changed state")
                #expect(now?.agent.dnd == before[number]??.agent.dnd, "agent\(number) changed DND")
                #expect(now?.seq == before[number]??.seq, "agent\(number)'s file was rewritten")
            }
            #expect(fixture.state(17)?.agent.dnd == false)
            #expect(fixture.state(33)?.agent.state == before[33]??.agent.state)

            // The metrics carry an agent label; the log lines name their agent. Each agent's
            // metrics are taken at its heartbeat and the file written at the daemon's: the
            // change shows within two heartbeats.
            #expect(
                await fixture.waitFor("metrics for every agent, agent17 Ready", agents: [1]) { _ in
                    let text = (try? String(contentsOfFile: fixture.metricsPath, encoding: .utf8)) ?? ""
                    return Self.all.allSatisfy { text.contains("gws_agentd_synced{agent=\"agent\($0)\"} 1") }
                        && text.contains("gws_agentd_agent_state{agent=\"agent17\",state=\"Ready\"} 1")
                })
            let metrics = (try? String(contentsOfFile: fixture.metricsPath, encoding: .utf8)) ?? ""
            #expect(metrics.contains("gws_agentd_agents 50"))
            // The daemon runs its own executor: how long its jobs ran is in the file.
            #expect(metrics.contains("gws_agentd_executor_job_seconds_bucket{le=\"0.02\"}"))
            #expect(metrics.contains("gws_agentd_executor_job_max_seconds "))
            #expect(metrics.components(separatedBy: "# TYPE gws_agentd_synced gauge").count == 2)
            let lines = daemon.output.split(separator: "\n").filter { $0.contains("resynchronised") }
            #expect(lines.count >= 50)
            #expect(lines.allSatisfy { $0.contains("\"gws.username\":\"agent") })

            // Operator commands: status for all agents, set for one through the socket.
            let status = try await runCommand(
                ["status", "--state-directory", fixture.stateDirectory], directory: fixture.directory)
            #expect(status.status == 0, "status: \(status.stdout) \(status.stderr)")
            #expect(status.stdout.split(separator: "\n").count == 51)
            #expect(status.stdout.hasPrefix("OK: 50/50 agents connected and synced"))
            let set = try await runCommand(
                ["set", "dnd-on", "--agent", "agent9", "--wait", "--socket", fixture.socketPath],
                directory: fixture.directory)
            #expect(set.status == 0, "set --agent: \(set.stdout) \(set.stderr)")
            #expect(fixture.state(9)?.agent.dnd == true)
            #expect(fixture.state(8)?.agent.dnd == false)
            let unnamed = try await runCommand(
                ["set", "dnd-on", "--socket", fixture.socketPath], directory: fixture.directory)
            #expect(unnamed.status == 64)
            #expect(unnamed.stderr.contains("this daemon follows 50 agents (agent1, agent10,"))
            #expect(unnamed.stderr.contains("and 30 more): name one with --agent"))
            let unknown = try await runCommand(
                ["set", "dnd-on", "--agent", "nobody", "--socket", fixture.socketPath], directory: fixture.directory)
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("this daemon follows no agent nobody; it follows agent1, agent10,"))
            let check = try await runCommand(
                ["check-config", "--online", "--config", fixture.configPath], directory: fixture.directory)
            #expect(check.status == 0, "check-config --online: \(check.stdout) \(check.stderr)")
            #expect(check.stdout.contains("follows 50 agents, all connected"))
            let one = try await runCommand(
                ["status", "--state-directory", fixture.stateDirectory, "--agent", "agent9"],
                directory: fixture.directory)
            #expect(one.status == 0)
            #expect(one.stdout.contains("agent9: NotReady, DND on"))
        }
    }

    @Test func oneAgentsRefusedPasswordOrLostSessionLeavesTheOthersSynced() async throws {
        try await withManyAgents(served: 50, followed: 1...50) { fixture in
            try fixture.writePassword(3, "wrong")
            // A 2 s watchdog: one agent's refused password must not stop the pings.
            let daemon = try fixture.start(environment: ["WATCHDOG_USEC": "2000000"])
            let others = Self.all.filter { $0 != 3 }
            #expect(await fixture.waitFor("the 49 others synced", agents: others, ManyAgentsFixture.isSynced))
            #expect(
                await fixture.waitFor("agent3's file to name the refusal", agents: [3]) {
                    ($0?.connection.lastError?.message ?? "").contains("401")
                })
            await fixture.notify.wait(for: "STATUS= never said 49/50") {
                $0.contains { $0.hasPrefix("STATUS=49/50 synced; not synced: agent3:") }
            }
            #expect(daemon.process.isRunning, "one agent's refused password ended the daemon")
            let pings = fixture.notify.assignments.filter { $0 == "WATCHDOG=1" }.count
            await fixture.notify.wait(for: "the watchdog pings stopped while one agent's password was refused") {
                $0.filter { $0 == "WATCHDOG=1" }.count >= pings + 3
            }
            let status = try await runCommand(
                ["status", "--state-directory", fixture.stateDirectory], directory: fixture.directory)
            #expect(status.status != 0, "status hid the failing agent")
            #expect(status.stdout.contains("agent3 "))
            let check = try await runCommand(
                ["check-config", "--online", "--config", fixture.configPath], directory: fixture.directory)
            #expect(check.status == 69, "check-config --online hid the failing agent: \(check.stdout)")
            #expect(check.stderr.contains("1 not connected") && check.stderr.contains("agent3:"))

            // agent5 loses its HTTP session: it logs in again, the others keep theirs.
            let handshakes = Dictionary(
                uniqueKeysWithValues: others.map { ($0, fixture.state($0)?.connection.handshakes) })
            await fixture.simulator.engine.expireHTTPSessions(username: ManyAgentsFixture.username(5))
            await fixture.simulator.engine.apply("Ready", username: ManyAgentsFixture.username(5))
            #expect(
                await fixture.waitFor("agent5 back and Ready", agents: [5]) {
                    ManyAgentsFixture.isSynced($0) && $0?.agent.state == "Ready"
                })
            await fixture.simulator.engine.apply("Ready", username: ManyAgentsFixture.username(6))
            #expect(await fixture.waitFor("agent6 Ready", agents: [6]) { $0?.agent.state == "Ready" })
            for number in others where number != 5 {
                #expect(
                    fixture.state(number)?.connection.handshakes == handshakes[number] ?? nil,
                    "agent\(number) reconnected")
                #expect(ManyAgentsFixture.isSynced(fixture.state(number)), "agent\(number) not synced")
            }

            // A huge reply (90,000 keys) to whichever agents' long polls come next: those
            // agents recover; a change for another agent still arrives.
            await fixture.simulator.engine.inject(.manyKeys(90_000), count: 3, target: .cometd)
            await fixture.simulator.engine.apply("Ready", username: ManyAgentsFixture.username(7))
            await fixture.simulator.engine.apply("Ready", username: ManyAgentsFixture.username(8))
            #expect(
                await fixture.waitFor("agents 7 and 8 Ready past the huge replies", agents: [7, 8]) {
                    ManyAgentsFixture.isSynced($0) && $0?.agent.state == "Ready"
                })
            #expect(
                await fixture.waitFor("the others synced after the huge replies", agents: others) {
                    ManyAgentsFixture.isSynced($0)
                })
        }
    }

    @Test func reloadAddsAndRemovesAgentsWithoutTouchingTheOthers() async throws {
        try await withManyAgents(served: 50, followed: 1...40) { fixture in
            let daemon = try fixture.start()
            let kept = Array(1...38)
            #expect(await fixture.waitFor("40 agents synced", agents: Array(1...40), ManyAgentsFixture.isSynced))
            let clients = Dictionary(uniqueKeysWithValues: kept.map { ($0, fixture.state($0)?.connection.clientID) })

            fixture.removePassword(39)
            fixture.removePassword(40)
            for number in 41...50 { try fixture.writePassword(number) }
            daemon.signal(SIGHUP)
            #expect(
                await fixture.waitFor(
                    "agents 41-50 added and synced", agents: Array(41...50), ManyAgentsFixture.isSynced))
            #expect(await fixture.waitFor("agents 39 and 40 removed", agents: [39, 40]) { $0 == nil })
            #expect(!FileManager.default.fileExists(atPath: fixture.statePath(39)))
            for number in kept {
                #expect(
                    fixture.state(number)?.connection.clientID == clients[number] ?? nil, "agent\(number) reconnected")
            }
            await fixture.notify.wait(for: "STATUS= never said 48/48") { $0.contains("STATUS=48/48 synced") }
            // The removed agents' GWS sessions were ended cleanly.
            #expect(daemon.output.contains("\"gws.username\":\"agent39\"") && daemon.output.contains("agent removed"))

            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            #expect(fixture.notify.assignments.contains("STOPPING=1"))

            // No daemon now: check-config --online logs every agent in itself.
            let check = try await runCommand(
                ["check-config", "--online", "--config", fixture.configPath], directory: fixture.directory)
            #expect(check.status == 0, "check-config --online: \(check.stdout) \(check.stderr)")
            #expect(check.stdout.contains("GWS accepted the credentials of all 48 agents"))
        }
    }
}
