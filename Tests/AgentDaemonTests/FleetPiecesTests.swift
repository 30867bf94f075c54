import BayeuxCore
import CSerialExecutor
import Foundation
import GWS
import Locking
import Systemd
import TestSupport
import Testing

@testable import AgentDaemon
@testable import AgentState

@Suite("The fleet's pieces: login pacing, the status line, metrics")
struct FleetPiecesTests {
    @Test("The login pacer lets at most its concurrency through; a cancelled waiter leaves the queue")
    func pacer() async throws {
        let pacer = LoginPacer(concurrency: 2, jitter: .zero, clock: ManualTime().clock)
        #expect(await pacer.acquire())
        #expect(await pacer.acquire())
        #expect(pacer.available == 0)
        let granted = Locked(0)
        let third = Task {
            if await pacer.acquire() { granted.withLock { $0 += 1 } }
        }
        let cancelled = Task { await pacer.acquire() }
        await waitUntil("the third and fourth login waiting") { pacer.waiting == 2 }
        #expect(granted.withLock { $0 } == 0)
        cancelled.cancel()
        #expect(await cancelled.value == false)
        #expect(pacer.waiting == 1)
        pacer.release()
        await third.value
        #expect(granted.withLock { $0 } == 1)
        pacer.release()
        pacer.release()
        #expect(pacer.available == 2)
    }

    @Test("The login pacer's jitter delays each login by up to its bound, on the injected clock")
    func jitter() async throws {
        let time = ManualTime()
        let pacer = LoginPacer(concurrency: 10, jitter: .seconds(2), clock: time.clock, seed: 7)
        let done = Locked(0)
        let logins = (0..<5).map { _ in
            Task {
                if await pacer.acquire() { done.withLock { $0 += 1 } }
            }
        }
        await waitUntil("five logins waiting for their jitter") { time.deadlines.count == 5 }
        #expect(done.withLock { $0 } == 0, "a login went through before its jitter")
        time.advance(by: .seconds(2))
        for login in logins { await login.value }
        #expect(done.withLock { $0 } == 5)
    }

    @Test("STATUS= work per event is constant: 10,000 agents start, sync, flap and recover")
    func statusWorkPerEvent() {
        let time = ManualTime()
        let sent = Locked(0)
        let status = FleetStatus(notifier: SystemdNotifier(sink: { _ in sent.withLock { $0 += 1 } }), clock: time.clock)
        let names = (1...10_000).map { "agent\($0)" }
        var events = 0
        for name in names {
            status.add(name)
            events += 1
        }
        for round in 0..<3 {
            for name in names {
                status.update(name, line: "connected", synced: true)
                _ = status.line
                events += 2
            }
            // An outage: everyone but one falls out of sync, in a different order each round.
            for name in names.dropFirst().shuffled() {
                status.update(name, line: "connection lost \(round)", synced: false)
                _ = status.line
                events += 2
            }
        }
        #expect(status.counts == (1, 10_000))
        #expect(status.steps <= 8 * events, "\(status.steps) steps for \(events) events")
        #expect(sent.withLock { $0 } <= 2, "throttled: STATUS= sent \(sent.withLock { $0 }) times in one instant")
        #expect(status.line.hasPrefix("1/10000 synced; not synced: "))
    }

    @Test("STATUS= counts the synced agents and names those unsynced longest")
    func statusLine() {
        let status = FleetStatus(notifier: SystemdNotifier(sink: { _ in }))
        for name in ["a", "b", "c", "d", "e"] { status.add(name) }
        #expect(status.line.hasPrefix("0/5 synced; not synced: a: starting; b: starting; c: starting; and 2 more"))
        for name in ["a", "b", "c", "e"] { status.update(name, line: "connected", synced: true) }
        status.update("d", line: "unconnected: HTTP 401", synced: false)
        #expect(status.line == "4/5 synced; not synced: d: unconnected: HTTP 401")
        status.remove("d")
        #expect(status.line == "4/4 synced")
        status.update("zz", line: "connected", synced: true)
        #expect(status.counts == (4, 4), "an agent no longer followed was counted")
    }

    @Test("STATUS= of one agent is that agent's own line; insecure settings prefix it either way")
    func statusLineOfOne() {
        let sent = Locked<[String]>([])
        let status = FleetStatus(notifier: SystemdNotifier(sink: { text in sent.withLock { $0.append(text) } }))
        status.add("agent1")
        #expect(status.line == "starting")
        status.update("agent1", line: "connected, Ready, DND off", synced: true)
        #expect(status.line == "connected, Ready, DND off")
        status.update("agent1", line: "connected, Ready, DND off", synced: true)
        #expect(
            sent.withLock { $0.filter { $0.contains("connected, Ready") }.count } == 1,
            "an unchanged line was sent again")
        status.insecurity = ["TLS verification off"]
        #expect(status.line == "INSECURE (TLS verification off): connected, Ready, DND off")
        status.add("agent2")
        #expect(status.line.hasPrefix("INSECURE (TLS verification off): 1/2 synced; not synced: agent2: starting"))
    }

    /// One agent's metrics as its heartbeat takes them.
    private func agentMetrics(
        _ username: String, state: String, dnd: Bool = false, notifications: Int = 0, formatted: Bool = true
    ) -> AgentMetrics {
        var model = AgentModel(username: username)
        model.connection = .connected
        model.synced = true
        model.replace(
            with: UserSnapshot(
                username: username, devices: [],
                channels: [ChannelResource(name: "voice", userState: UserState(state: state), dnd: dnd)]))
        var counters = SessionCounters()
        counters.messagesDelivered = notifications
        counters.requestFailures[.timeout] = 1
        return MetricsText(
            version: "9.9", startTime: 1000, model: model, counters: counters, stateFileWrites: 1,
            stateFileWriteFailures: 0, stateFileLastWrite: nil, lastNotification: nil, agent: username
        ).agentMetrics(formatted: formatted)
    }

    @Test("The metrics of several agents: each family once, every sample with its agent label")
    func metrics() {
        let agents = [agentMetrics("ann", state: "Ready"), agentMetrics("b\"n", state: "NotReady")]
        let rendered = FleetMetrics(
            version: "9.9", startTime: 1000, agents: agents, followed: 2, synced: 2, perAgent: true
        ).render()
        let lines = rendered.split(separator: "\n")
        #expect(lines.filter { $0 == "# TYPE gws_agentd_synced gauge" }.count == 1)
        #expect(lines.filter { $0.hasPrefix("gws_agentd_build_info") }.count == 1)
        #expect(lines.contains("gws_agentd_synced{agent=\"ann\"} 1"))
        #expect(lines.contains("gws_agentd_agent_state{agent=\"ann\",state=\"Ready\"} 1"))
        #expect(lines.contains("gws_agentd_agent_state{agent=\"b\\\"n\",state=\"NotReady\"} 1"))
        let perAgent = lines.filter {
            !$0.hasPrefix("#") && !$0.hasPrefix("gws_agentd_build_info") && !$0.hasPrefix("gws_agentd_start_time")
                && !$0.hasPrefix("gws_agentd_agents") && !$0.hasPrefix("gws_agentd_fleet_")
        }
        #expect(!perAgent.isEmpty)
        #expect(perAgent.allSatisfy { $0.contains("{agent=\"") }, "a per-agent sample without its agent label")
        let helps = lines.filter { $0.hasPrefix("# HELP") }.count
        #expect(helps == lines.filter { $0.hasPrefix("# TYPE") }.count)
        #expect(Set(lines.filter { $0.hasPrefix("# TYPE") }).count == helps, "a family written twice")
        // Above the limit the heartbeat does not format what the file leaves out.
        #expect(agentMetrics("ann", state: "Ready", formatted: false).blocks.isEmpty)
    }

    @Test("Agents per reason and work mode: at most 20 label values, the rest summed as other")
    func reasonCardinality() {
        // 3,000 agents over 30 site-defined reasons (r0 the most common), and two work modes.
        let agents = (0..<3000).map { index in
            AgentMetrics(
                agent: "a\(index)", blocks: [],
                figures: AgentFigures(
                    connection: .connected, stateLabel: "NotReady", dnd: false,
                    reason: index < 600 ? "r0" : "r\(index % 30)", workMode: index % 2 == 0 ? "AuxWork" : nil))
        }
        let lines = FleetMetrics(
            version: "9.9", startTime: 1000, agents: agents, followed: 3000, synced: 3000, perAgent: false
        ).render().split(separator: "\n")
        let reasons = lines.filter { $0.hasPrefix("gws_agentd_agents_by_reason{") }
        #expect(reasons.count == FleetMetrics.labelLimit + 1, "\(reasons)")
        let total = reasons.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
        #expect(total == 3000, "every agent with a reason counted once")
        #expect(reasons.contains { $0.hasPrefix("gws_agentd_agents_by_reason{reason=\"r0\"}") })
        #expect(reasons.contains { $0.hasPrefix("gws_agentd_agents_by_reason{reason=\"other\"}") })
        #expect(lines.contains("gws_agentd_agents_by_work_mode{work_mode=\"AuxWork\"} 1500"))
        #expect(FleetMetrics.bounded(["a": 2, "other": 1]).map(\.key) == ["a", "other"])
    }

    @Test("The daemon-wide series add up every agent, in the same few lines at 10 agents or 10,000")
    func fleetMetricsConstant() {
        func render(_ count: Int) -> [Substring] {
            let agents = (0..<count).map {
                agentMetrics(
                    "agent\($0)", state: $0 % 4 == 0 ? "NotReady" : "Ready", dnd: $0 % 5 == 0, notifications: 2)
            }
            return FleetMetrics(
                version: "9.9", startTime: 1000, agents: agents, followed: count, synced: count, perAgent: false
            ).render()
                .split(separator: "\n")
        }
        let small = render(10)
        let large = render(10_000)
        #expect(small.count == large.count, "the daemon-wide exposition grew with the number of agents")
        #expect(!large.contains { $0.contains("agent=\"") }, "a per-agent series without per-agent metrics")
        #expect(large.contains("gws_agentd_agents 10000"))
        #expect(large.contains("gws_agentd_agents_synced 10000"))
        #expect(large.contains("gws_agentd_agents_by_state{state=\"NotReady\"} 2500"))
        #expect(large.contains("gws_agentd_agents_by_state{state=\"Ready\"} 7500"))
        #expect(large.contains("gws_agentd_agents_dnd 2000"))
        #expect(large.contains("gws_agentd_agents_by_connection_state{state=\"connected\"} 10000"))
        #expect(large.contains("gws_agentd_fleet_notifications_total 20000"))
        #expect(large.contains("gws_agentd_fleet_bayeux_request_failures_total{kind=\"timeout\"} 10000"))
        #expect(large.contains("gws_agentd_fleet_state_file_writes_total 10000"))
    }

    @Test("Work the executor thread does between jobs (libcurl's turns) counts in its job statistics")
    func loopWorkCounts() {
        var before = gws_executor_job_stats()
        gws_serial_executor_job_stats(&before)
        gws_serial_executor_record_work(30_000_000)
        var after = gws_executor_job_stats()
        gws_serial_executor_job_stats(&after)
        #expect(after.count == before.count + 1)
        #expect(ExecutorJobStats(after).buckets[3].count == ExecutorJobStats(before).buckets[3].count + 1)
        #expect(after.max_ns >= 30_000_000)
        #expect(after.sum_ns == before.sum_ns + 30_000_000)
    }

    @Test("The executor's job histogram: each job in the first bucket whose bound it does not pass; cumulative buckets")
    func executorJobHistogram() {
        var stats = gws_executor_job_stats()
        for milliseconds: UInt64 in [0, 1, 2, 20, 21, 150, 5000] {
            gws_executor_job_stats_record(&stats, milliseconds * 1_000_000)
        }
        let figures = ExecutorJobStats(stats)
        #expect(figures.count == 7)
        #expect(figures.buckets.map(\.count) == [2, 1, 1, 1, 1, 1])
        #expect(figures.maxSeconds == 5)
        let lines = FleetMetrics(
            version: "9.9", startTime: 1000, agents: [], followed: 0, synced: 0, perAgent: false, executor: figures
        ).render().split(separator: "\n")
        #expect(lines.contains("gws_agentd_executor_job_seconds_bucket{le=\"0.001\"} 2"))
        #expect(lines.contains("gws_agentd_executor_job_seconds_bucket{le=\"0.02\"} 4"))
        #expect(lines.contains("gws_agentd_executor_job_seconds_bucket{le=\"+Inf\"} 7"))
        #expect(lines.contains("gws_agentd_executor_job_seconds_count 7"))
        #expect(lines.contains("gws_agentd_executor_job_max_seconds 5.0"))
        #expect(lines.contains("# TYPE gws_agentd_executor_job_seconds histogram"))
    }
}
