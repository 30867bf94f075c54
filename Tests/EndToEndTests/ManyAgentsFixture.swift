import AgentState
import Foundation
import GWSSimulator
import TestSupport
import Testing

/// A daemon that follows many agents (`agents.directory`), against a simulator that
/// serves them all: agentN has the password `pw-N`.
final class ManyAgentsFixture: @unchecked Sendable {
    // Set up in init and `start`, then only read by the one test that owns the fixture.
    let directory: String
    let simulator: GWSSimulator
    let url: String
    let notify: NotifyListener
    var daemon: DaemonProcess?

    var agentsDirectory: String { directory + "/agents" }
    var stateDirectory: String { directory + "/state" }
    var configPath: String { directory + "/config.yaml" }
    var metricsPath: String { directory + "/gws_agentd.prom" }
    var socketPath: String { stateDirectory + "/control.sock" }

    static func username(_ number: Int) -> String { "agent\(number)" }
    static func password(_ number: Int) -> String { "pw-\(number)" }

    /// A simulator with agents 1…`served`, and password files for `followed`.
    init(served: Int, followed: ClosedRange<Int>) async throws {
        var template = Array("/tmp/gws-fleet.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        simulator = GWSSimulator(
            configuration: SimulatorConfiguration(
                agents: (1...served).map {
                    SimulatedAgent(
                        username: Self.username($0), password: Self.password($0), phoneNumber: "\(7000 + $0)")
                },
                cometd: CometDSettings(timeout: .seconds(10), maxInterval: .seconds(20))))
        url = try await simulator.start()
        notify = try NotifyListener(path: directory + "/notify.sock")
        try FileManager.default.createDirectory(atPath: agentsDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        for number in followed { try writePassword(number) }
        let text = """
            server:
              url: \(url)
              max_network_delay_s: 2
            agents:
              directory: \(agentsDirectory)
              login_concurrency: 8
              login_jitter_ms: 100
            state:
              directory: \(stateDirectory)
              heartbeat_s: 3
            log:
              format: json
              level: info
            metrics:
              textfile: \(metricsPath)
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    /// Writes agent `number`'s password file (its right password unless `password` is given).
    func writePassword(_ number: Int, _ password: String? = nil) throws {
        let path = agentsDirectory + "/" + Self.username(number) + ".password"
        try Data(((password ?? Self.password(number)) + "\n").utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    func removePassword(_ number: Int) {
        unlink(agentsDirectory + "/" + Self.username(number) + ".password")
    }

    @discardableResult
    func start(environment: [String: String] = [:]) throws -> DaemonProcess {
        let process = try DaemonProcess(
            arguments: ["run", "--config", configPath],
            environment: ["NOTIFY_SOCKET": notify.path].merging(environment) { _, new in new },
            outputPath: directory + "/daemon.log")
        daemon = process
        return process
    }

    func statePath(_ number: Int) -> String { stateDirectory + "/" + Self.username(number) + ".json" }

    /// Agent `number`'s state file, if it can be read.
    func state(_ number: Int) -> StateDocument? {
        guard let data = FileManager.default.contents(atPath: statePath(number)) else { return nil }
        return try? StateDocument.decode(Array(data))
    }

    /// Waits until `condition` holds for every agent of `numbers`; a failed wait names
    /// `what` and the agents that did not get there.
    @discardableResult
    func waitFor(
        _ what: String, agents numbers: [Int], sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: @escaping (StateDocument?) -> Bool
    ) async -> Bool {
        await waitUntil(
            what,
            diagnosis: "not there: \(numbers.filter { !condition(self.state($0)) }.prefix(10).map(Self.username))",
            sourceLocation: sourceLocation
        ) { numbers.allSatisfy { condition(self.state($0)) } }
    }

    static func isSynced(_ document: StateDocument?) -> Bool {
        guard let document else { return false }
        return document.connection.connected && document.agent.synced
    }

    func tearDown() async {
        await stopEverything(
            daemon: daemon, notify: notify, simulator: simulator, directory: directory)
    }
}

/// Runs `body` with a fixture of many agents and always tears it down.
func withManyAgents(
    served: Int, followed: ClosedRange<Int>, _ body: (ManyAgentsFixture) async throws -> Void
) async throws {
    let fixture = try await ManyAgentsFixture(served: served, followed: followed)
    try await withTearDown(fixture, tearDown: { await $0.tearDown() }, body)
}
