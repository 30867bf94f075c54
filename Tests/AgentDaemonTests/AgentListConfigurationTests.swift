import BayeuxCore
import Foundation
import GWS
import Locking
import Systemd
import TestSupport
import Testing

@testable import AgentDaemon
@testable import AgentState

@Suite("Configuration: the agents (server.username or agents.*)")
struct AgentListConfigurationTests {
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
        #expect(configuration.agents.map(\.username) == ["alice", "bob", "carol"])
        #expect(configuration.agents.map(\.password.secret) == ["pw-alice", "pw-bob", "pw-carol"])
        #expect(configuration.stateDirectory == dir.path + "/state")
        #expect(configuration.logins == LoginPacing(concurrency: 8, jitter: .seconds(1)))
        #expect(configuration.onGiveUp == .retryAgent(after: .seconds(300)))
        #expect(configuration.controlSocket == dir.path + "/state/control.sock")
        let bob = configuration.configuration(for: configuration.agents[1])
        #expect(bob.username == "bob")
        #expect(bob.password.secret == "pw-bob")
        #expect(bob.stateFile == dir.path + "/state/bob.json")
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
              threads: 3
            """, environment: ["CREDENTIALS_DIRECTORY": credentials, "RUNTIME_DIRECTORY": "/run/gws-agentd"])
        #expect(configuration.agents.map(\.username) == ["ann", "ben"])
        #expect(configuration.agents.map(\.password.secret) == ["ann-pw", "ben-pw"])
        #expect(configuration.agents.map(\.stateFile) == ["/run/gws-agentd/ann.json", "/run/gws-agentd/ben.json"])
        #expect(configuration.stateDirectory == "/run/gws-agentd")
        #expect(configuration.logins == LoginPacing(concurrency: 2, jitter: .zero))
        #expect(configuration.threads == 3)
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
        for threads in ["0", "65", "two"] {
            let refusal = await problem(
                head + "agents:\n  directory: \(agents)\n  threads: \(threads)\nstate:\n  directory: /run/x\n")
            #expect(refusal.contains("agents.threads"), "threads: \(threads) gave \(refusal)")
        }
        let unset = try await load(head + "agents:\n  directory: \(agents)\nstate:\n  directory: /run/x\n")
        #expect(unset.threads == nil, "no agents.threads: the CPUs allowed")
        #expect(await problem(head + "agents:\n  directory: \(agents)\n").contains("state.directory"))
        #expect(
            await problem(head + "agents:\n  directory: \(dir.path)/none\nstate:\n  directory: /run/x\n")
                .contains("cannot list"))
        chmod(agents + "/a1.password", 0o644)
        #expect(
            await problem(head + "agents:\n  directory: \(agents)\nstate:\n  directory: /run/x\n")
                .contains("accessible by other users"))
        #expect(AgentEntry.refusal(username: "../etc") != nil)
        #expect(AgentEntry.refusal(username: ".hidden") != nil)
        #expect(AgentEntry.refusal(username: "a b") != nil)
        #expect(AgentEntry.refusal(username: "jane.doe@example.com") == nil)
    }
}
