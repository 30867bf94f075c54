import BayeuxCore
import Foundation
import GWS
import Locking
import Systemd
import Testing

@testable import AgentDaemon
@testable import AgentState

@Suite("Several agents: configuration")
struct AgentRosterConfigurationTests {
    let dir: TemporaryDirectory

    init() throws { dir = try TemporaryDirectory() }

    func load(
        _ yaml: String, environment: [String: String] = [:]
    ) async throws(ConfigurationError)
        -> DaemonConfiguration
    {
        let path = dir.path + "/config.yaml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        return try await ConfigurationLoader(environment: environment).load(explicitPath: path)
    }

    func agentsDirectory(_ names: [String]) throws -> String {
        let path = dir.path + "/agents"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for name in names { try dir.write("agents/\(name).password", "pw-\(name)\n") }
        return path
    }

    @Test("agents.directory: every USERNAME.password file is an agent with its own state file")
    func directory() async throws {
        let agents = try agentsDirectory(["bob", "alice", "carol"])
        try dir.write("agents/notes.txt", "not an agent")
        let configuration = try await load(
            """
            server:
              url: https://gws.example.com
            agents:
              directory: \(agents)
            state:
              directory: \(dir.path)/state/
            """)
        let roster = try #require(configuration.roster)
        #expect(roster.agents.map(\.username) == ["alice", "bob", "carol"])
        #expect(roster.agents.map(\.password.secret) == ["pw-alice", "pw-bob", "pw-carol"])
        #expect(roster.stateDirectory == dir.path + "/state")
        #expect(roster.loginConcurrency == 8)
        #expect(roster.loginJitter == .seconds(1))
        #expect(configuration.controlSocket == dir.path + "/state/control.sock")
        let bob = configuration.configuration(for: roster.agents[1])
        #expect(bob.server.username == "bob")
        #expect(bob.stateFile == dir.path + "/state/bob.json")
        #expect(bob.roster == nil)
        #expect(bob.metricsTextfile == nil)
    }

    @Test("agents.usernames: each password is the credential gws-password-USERNAME")
    func credentials() async throws {
        let credentials = dir.path + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try dir.write("credentials/gws-password-ann", "ann-pw", mode: 0o444)
        try dir.write("credentials/gws-password-ben", "ben-pw", mode: 0o444)
        let configuration = try await load(
            """
            server:
              url: https://gws.example.com
            agents:
              usernames: [ben, ann]
              login_concurrency: 2
              login_jitter_ms: 0
            """, environment: ["CREDENTIALS_DIRECTORY": credentials, "RUNTIME_DIRECTORY": "/run/gws-agentd"])
        let roster = try #require(configuration.roster)
        #expect(roster.agents.map(\.username) == ["ann", "ben"])
        #expect(roster.agents.map(\.password.secret) == ["ann-pw", "ben-pw"])
        #expect(roster.stateDirectory == "/run/gws-agentd")
        #expect(roster.loginConcurrency == 2)
        #expect(roster.loginJitter == .zero)
        await #expect(throws: ConfigurationError.self) {
            _ = try await load(
                """
                server:
                  url: https://gws.example.com
                agents:
                  usernames: [ann, cid]
                """, environment: ["CREDENTIALS_DIRECTORY": credentials, "RUNTIME_DIRECTORY": "/run/x"])
        }
    }

    @Test("Mistakes name their key: single-agent keys beside agents.*, bad names, unsafe files, limits")
    func refusals() async throws {
        let agents = try agentsDirectory(["a1"])
        func problem(_ yaml: String) async -> String {
            do {
                _ = try await load(yaml)
                return "accepted"
            } catch {
                return error.description
            }
        }
        let head = "server:\n  url: https://gws.example.com\n"
        #expect(
            await problem(head + "  username: x\nagents:\n  directory: \(agents)\nstate:\n  directory: /run/x\n")
                .contains("server.username"))
        #expect(
            await problem(head + "agents:\n  directory: \(agents)\nstate:\n  file: /run/x/s.json\n")
                .contains("state.file"))
        #expect(
            await problem(head + "  username: x\n  password_file: \(agents)/a1.password\nstate:\n  directory: /run/x\n")
                .contains("state.directory"))
        #expect(
            await problem(
                head + "agents:\n  directory: \(agents)\n  login_concurrency: 0\nstate:\n  directory: /run/x\n"
            )
            .contains("agents.login_concurrency"))
        #expect(await problem(head + "agents:\n  directory: \(agents)\n").contains("state.directory"))
        #expect(
            await problem(head + "agents:\n  directory: \(dir.path)/none\nstate:\n  directory: /run/x\n")
                .contains("cannot list"))
        chmod(agents + "/a1.password", 0o644)
        #expect(
            await problem(head + "agents:\n  directory: \(agents)\nstate:\n  directory: /run/x\n")
                .contains("accessible by other users"))
        #expect(AgentRosterConfiguration.refusal(username: "../etc") != nil)
        #expect(AgentRosterConfiguration.refusal(username: ".hidden") != nil)
        #expect(AgentRosterConfiguration.refusal(username: "a b") != nil)
        #expect(AgentRosterConfiguration.refusal(username: "jane.doe@example.com") == nil)
    }
}

@Suite("Several agents: login pacing, status line, metrics")
struct FleetPiecesTests {
    @Test("The login pacer lets at most its concurrency through; a cancelled waiter leaves the queue")
    func pacer() async throws {
        let pacer = LoginPacer(concurrency: 2, jitter: .zero)
        #expect(await pacer.acquire())
        #expect(await pacer.acquire())
        #expect(pacer.available == 0)
        let granted = Locked(0)
        let third = Task {
            if await pacer.acquire() { granted.withLock { $0 += 1 } }
        }
        let cancelled = Task { await pacer.acquire() }
        let deadline = ContinuousClock.now + .seconds(10)
        while pacer.waiting < 2, ContinuousClock.now < deadline { await Task.yield() }
        #expect(pacer.waiting == 2, "the third and fourth login did not wait")
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
        let pacer = LoginPacer(concurrency: 10, jitter: .seconds(2), clock: DaemonClock(manual: time), seed: 7)
        let done = Locked(0)
        let logins = (0..<5).map { _ in
            Task {
                if await pacer.acquire() { done.withLock { $0 += 1 } }
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while time.deadlines.count < 5, ContinuousClock.now < deadline { await Task.yield() }
        #expect(done.withLock { $0 } == 0, "a login went through before its jitter")
        time.advance(by: .seconds(2))
        for login in logins { await login.value }
        #expect(done.withLock { $0 } == 5)
    }

    @Test("STATUS= counts the synced agents and names the first that are not")
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

    @Test("The metrics of several agents: each family once, every sample with its agent label")
    func metrics() {
        func text(_ username: String, state: String) -> MetricsText {
            var model = AgentModel(username: username)
            model.connection = .connected
            model.synced = true
            model.replace(
                with: UserSnapshot(
                    username: username, devices: [],
                    channels: [ChannelResource(name: "voice", userState: UserState(state: state), dnd: false)]))
            return MetricsText(
                version: "9.9", startTime: 1000, model: model, counters: SessionCounters(), stateFileWrites: 1,
                stateFileWriteFailures: 0, stateFileLastWrite: nil, lastNotification: nil, agent: username)
        }
        let rendered = MetricsText.render([text("ann", state: "Ready"), text("b\"n", state: "NotReady")])
        let lines = rendered.split(separator: "\n")
        #expect(lines.filter { $0 == "# TYPE gws_agentd_synced gauge" }.count == 1)
        #expect(lines.filter { $0.hasPrefix("gws_agentd_build_info") }.count == 1)
        #expect(lines.contains("gws_agentd_synced{agent=\"ann\"} 1"))
        #expect(lines.contains("gws_agentd_agent_state{agent=\"ann\",state=\"Ready\"} 1"))
        #expect(lines.contains("gws_agentd_agent_state{agent=\"b\\\"n\",state=\"NotReady\"} 1"))
        let samples = lines.filter {
            !$0.hasPrefix("#") && !$0.hasPrefix("gws_agentd_build_info") && !$0.hasPrefix("gws_agentd_start_time")
        }
        #expect(samples.allSatisfy { $0.contains("{agent=\"") }, "a per-agent sample without its agent label")
    }
}
