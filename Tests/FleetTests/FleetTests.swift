import AgentState
import Foundation
import GWS
import GWSSimulator
import HTTPTransport
import Locking
import TestSupport
import Testing

@testable import AgentDaemon

/// The fleet, in-process on manual time, against gws-sim's engine: one agent and 500 run the
/// same code, and every test that can be is run with both.
@Suite("The fleet of agents, one or many", .serialized)
struct FleetTests {
    @Test("Start: every agent logged in, synced, in its own state file; STATUS= says so", arguments: [1, 500])
    func start(agents: Int) async throws {
        let h = try await FleetHarness(agents: agents)
        await h.start()
        await h.waitForSynced()
        let last = h.usernames.last ?? ""
        await h.gws.engine.apply("Ready", username: last)
        await h.waitForSynced([last], "the change of \(last)") { $0.agent.state == "Ready" }
        if agents > 1 { #expect(h.state("agent1")?.agent.state == "NotReady", "another agent's file changed") }
        // Several agents' STATUS= is throttled: the last change goes out when the interval ends.
        let expected = agents == 1 ? "connected, Ready, DND off" : "\(agents)/\(agents) synced"
        await h.advance(until: { h.statusLines.last == expected })
        #expect(h.statusLines.last == expected, "STATUS= so far: \(h.statusLines.suffix(3))")
        if agents > 1 {
            #expect(h.statusLines.count < agents / 5, "\(h.statusLines.count) STATUS= lines for \(agents) agents")
        }
        #expect(await h.stop() == .stopped)
        #expect(h.usernames.allSatisfy { h.state($0)?.connection.state == .stopped })
    }

    @Test(
        "A refused password under `retry`: that agent says why and is tried again after the delay; the others run on",
        arguments: [1, 500])
    func refusedPasswordRetried(agents: Int) async throws {
        let h = try await FleetHarness(agents: agents)
        await h.start()
        await h.waitForSynced()
        let refused = "agent1"
        await h.gws.engine.changePassword("elsewhere", username: refused)
        await h.advance(until: { h.fleet.runner(of: refused) == nil })
        let gaveUp = h.time.now
        let connection = h.state(refused)?.connection
        #expect(connection?.state == .disconnected, "\(String(describing: connection))")
        #expect(connection?.lastError?.message.contains("authentication keeps failing") == true)
        #expect(h.fleet.follows(refused))
        if agents > 1 { await h.waitForSynced(Array(h.usernames.dropFirst()), "the other agents") }
        // The retry waits for the configured delay (from the give-up, which the harness saw
        // at most one of its time steps late).
        let due = await waitFor(
            "the retry scheduled",
            diagnosis: "deadlines from now: \(h.time.deadlines.prefix(5).map { h.time.now.duration(to: $0) })"
        ) {
            h.time.deadlines.first {
                gaveUp.duration(to: $0) > .seconds(298) && gaveUp.duration(to: $0) <= .seconds(300)
            }
        }
        // GWS takes the agent's password again (as on disk): the retry succeeds.
        await h.gws.engine.changePassword("pw-1", username: refused)
        await h.advance(until: { h.fleet.runner(of: refused) != nil }, limit: .seconds(301))
        #expect(due.map { h.time.now >= $0 } == true, "retried before the delay")
        await h.waitForSynced([refused], "the refused agent back")
        #expect(await h.stop() == .stopped)
    }

    @Test("A reload ends the wait of an agent that gave up: it is tried at once", arguments: [1, 500])
    func reloadEndsTheWait(agents: Int) async throws {
        let h = try await FleetHarness(agents: agents)
        await h.start()
        await h.waitForSynced()
        await h.gws.engine.changePassword("elsewhere", username: "agent1")
        await h.advance(until: { h.fleet.runner(of: "agent1") == nil })
        await h.gws.engine.changePassword("pw-1", username: "agent1")
        let before = h.time.now
        await h.fleet.reload(h.configuration)
        await h.waitForSynced(["agent1"], "agent1 retried at the reload")
        #expect(h.time.now < before + .seconds(300), "the reload did not end the wait")
        #expect(await h.stop() == .stopped)
    }

    @Test("A stop while an agent waits to retry ends at once", arguments: [1, 500])
    func stopDuringTheWait(agents: Int) async throws {
        let h = try await FleetHarness(agents: agents)
        await h.start()
        await h.waitForSynced()
        await h.gws.engine.changePassword("elsewhere", username: "agent1")
        await h.advance(until: { h.fleet.runner(of: "agent1") == nil })
        let before = h.time.now
        #expect(await h.stop() == .stopped)
        #expect(h.time.now == before, "the stop waited for the retry delay")
        #expect(h.usernames.dropFirst().allSatisfy { h.state($0)?.connection.state == .stopped })
    }

    @Test(
        "Under `exit`, an agent that gives up ends the fleet with its reason; the others stop cleanly",
        arguments: [1, 500])
    func giveUpEndsTheDaemon(agents: Int) async throws {
        let h = try await FleetHarness(agents: agents, onGiveUp: .exitDaemon)
        await h.start()
        await h.waitForSynced()
        await h.gws.engine.changePassword("elsewhere", username: "agent1")
        var outcome: AgentOutcome?
        await h.advance(until: {
            outcome = nil
            return h.fleet.runner(of: "agent1") == nil
        })
        outcome = await h.outcome()
        guard case .fatal(.authenticationFailed)? = outcome else {
            Issue.record("expected the fleet to end on the refused credentials, got \(String(describing: outcome))")
            return
        }
        #expect(h.usernames.dropFirst().allSatisfy { h.state($0)?.connection.state == .stopped })
    }

    @Test("An agent removed while a set is in flight: the set is answered at once, the agent's file goes")
    func removedDuringSet() async throws {
        let h = try await FleetHarness(agents: 3)
        await h.start()
        await h.waitForSynced()
        let runner = try #require(h.fleet.runner(of: "agent2"))
        // The operation's POST gets no answer: it stays in flight until something ends it.
        await h.gws.engine.inject(.hang, target: .restInSession)
        let before = await h.gws.engine.requests.count
        let set = Task { await runner.operate(AgentOperation(name: "Ready")) }
        await waitUntil("the set's POST in flight") {
            await h.gws.engine.requests.dropFirst(before).contains { $0.method == "POST" && $0.faulted }
        }
        var smaller = h.configuration
        smaller.agents.removeAll { $0.username == "agent2" }
        let moved = h.time.now
        await h.fleet.reload(smaller)
        let answer = await set.value
        #expect(h.time.now == moved, "the answer waited for a timeout")
        guard case .failure(.transport(.shutDown))? = answer else {
            Issue.record("a removed agent's set was not failed: \(String(describing: answer))")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: h.directory.path + "/agent2.json"))
        #expect(h.fleet.usernames == ["agent1", "agent3"])
        #expect(await h.stop() == .stopped)
    }

    @Test("Agents are shared out over agents.threads shards, and all of an agent's requests run on its shard")
    func agentsStayOnTheirShards() async throws {
        let h = try await FleetHarness(agents: 5, threads: 2)
        await h.start()
        await h.waitForSynced()
        #expect(h.fleet.shards.count == 2)
        #expect(h.fleet.shards.loads == [3, 2])
        let shard = try #require(FleetHarness.shard).asUnownedTaskExecutor()
        let clients = h.placements.withLock { $0 }
        #expect(clients.count == 5, "one client per agent's session")
        #expect(clients.filter { $0.made == shard }.count == 2, "agents made on the second shard")
        #expect(clients.filter { $0.made == nil }.count == 3, "agents made on the daemon's own thread")
        for client in clients {
            // The login, the handshake, the subscriptions, the long polls and the snapshot.
            #expect(client.requests.count >= 4)
            #expect(client.requests.allSatisfy { $0 == client.made }, "a request ran off its agent's shard")
        }
        // Agents removed free their places (agent1 ran on the first shard, agent2 on the
        // second); each one added takes the shard with fewest.
        var fewer = h.configuration
        fewer.agents.removeAll { $0.username == "agent1" || $0.username == "agent2" }
        await h.fleet.reload(fewer)
        #expect(h.fleet.shards.loads == [2, 1])
        await h.fleet.reload(h.configuration)
        #expect(h.fleet.shards.loads == [3, 2])
        #expect(await h.stop() == .stopped)
    }

    @Test(
        "Shards: the CPUs allowed unless agents.threads says, never more than the agents",
        arguments: [
            (configured: nil, agents: 500, cpus: 2, shards: 2), (configured: 4, agents: 500, cpus: 2, shards: 4),
            (configured: nil, agents: 1, cpus: 8, shards: 1), (configured: 3, agents: 2, cpus: 1, shards: 2),
            (configured: nil, agents: 0, cpus: 2, shards: 1), (configured: nil, agents: 500, cpus: 200, shards: 64),
        ] as [(configured: Int?, agents: Int, cpus: Int, shards: Int)])
    func shardCount(_ example: (configured: Int?, agents: Int, cpus: Int, shards: Int)) {
        let count = FleetShards.count(
            configured: example.configured, agents: example.agents, allowedCPUs: example.cpus)
        #expect(count == example.shards)
    }

    @Test("Two reloads close together, the first removing an agent and the second adding it back: its new file stays")
    func twoReloadsCloseTogether() async throws {
        let h = try await FleetHarness(agents: 3)
        await h.start()
        await h.waitForSynced()
        // agent2's /meta/disconnect gets no answer: the first reload is still ending agent2's
        // session (and has yet to delete its file) when the second one adds it back.
        let applied = h.gws.engine.counters[.faultsApplied]
        await h.gws.engine.inject(.hang, target: .cometd)
        var without = h.configuration
        without.agents.removeAll { $0.username == "agent2" }
        let first = Task { await h.fleet.reload(without) }
        await waitUntil("agent2's disconnect hanging") { h.gws.engine.counters[.faultsApplied] > applied }
        let second = Task { await h.fleet.reload(h.configuration) }
        // The disconnect's own deadline ends the first reload.
        let ended = Locked(false)
        Task {
            await first.value
            ended.withLock { $0 = true }
        }
        await h.advance(until: { ended.withLock { $0 } })
        _ = await value(of: second, "the second reload")
        await h.waitForSynced(["agent2"], "agent2 back")
        #expect(FileManager.default.fileExists(atPath: h.directory.path + "/agent2.json"))
        #expect(h.fleet.usernames == ["agent1", "agent2", "agent3"])
        // The old file went before the agent came back, never after.
        let order = h.logEntries.filter {
            $0 == "agent2: agent added" || $0 == "agent2: state file of a removed agent deleted"
        }
        #expect(order == ["agent2: state file of a removed agent deleted", "agent2: agent added"], "\(order)")
        #expect(await h.stop() == .stopped)
    }

    @Test("Metrics: the daemon-wide series always; each agent's own only up to metrics.per_agent_limit agents")
    func metricsPerAgentLimit() async throws {
        let h = try await FleetHarness(agents: 3)
        await h.start()
        await h.waitForSynced()
        var few = h.configuration
        few.metricsPerAgentLimit = 2
        await h.fleet.reload(few)
        let aggregate = h.fleet.metricsText()
        #expect(aggregate.contains("gws_agentd_agents 3\n"))
        #expect(aggregate.contains("gws_agentd_agents_synced 3\n"))
        #expect(aggregate.contains("gws_agentd_agents_by_connection_state{state=\"connected\"} 3\n"))
        #expect(!aggregate.contains("agent=\""), "per-agent series above the limit")
        var enough = h.configuration
        enough.metricsPerAgentLimit = 3
        await h.fleet.reload(enough)
        let perAgent = h.fleet.metricsText()
        #expect(perAgent.contains("gws_agentd_synced{agent=\"agent3\"} 1\n"), "\(perAgent)")
        #expect(perAgent.contains("gws_agentd_agents_synced 3\n"))
        #expect(await h.stop() == .stopped)
    }

    @Test("Above metrics.per_agent_limit agents, a stop does not make each agent format its own series")
    func noPerAgentMetricsAtStop() async throws {
        let h = try await FleetHarness(agents: 3)
        var few = h.configuration
        few.metricsPerAgentLimit = 2
        await h.start()
        await h.waitForSynced()
        await h.fleet.reload(few)
        #expect(!h.fleet.perAgentMetrics)
        #expect(await h.stop() == .stopped)
        // Every agent has left the fleet and written its last metrics by now; they read this.
        #expect(!h.fleet.perAgentMetrics, "three agents configured, the limit two: no per-agent series")
    }

    @Test("A subscriber to an agent removed and added back hears `ended`, then the new session's documents")
    func subscriberAcrossRemoval() async throws {
        let h = try await FleetHarness(agents: 3)
        await h.start()
        await h.waitForSynced()
        let channel = try #require(h.fleet.published(of: "agent2"))
        let heard = Locked<[String]>([])
        let token = channel.observe { event in
            switch event {
            case .document(let document, _):
                heard.withLock { $0.append(document.agent.synced ? "synced" : "unsynced") }
            case .ended: heard.withLock { $0.append("ended") }
            }
        }
        var without = h.configuration
        without.agents.removeAll { $0.username == "agent2" }
        await h.fleet.reload(without)
        await waitUntil("the subscriber told the agent ended; heard \(heard.withLock { $0 })") {
            heard.withLock { $0.contains("ended") }
        }
        #expect(h.fleet.published(of: "agent2") === channel, "the channel stays while observed")
        await h.fleet.reload(h.configuration)
        await h.waitForSynced(["agent2"], "agent2 back")
        await waitUntil("a synced document after `ended`; heard \(heard.withLock { $0 })") {
            heard.withLock { events in events.drop { $0 != "ended" }.contains("synced") }
        }
        channel.stopObserving(token)
        #expect(await h.stop() == .stopped)
    }
}
