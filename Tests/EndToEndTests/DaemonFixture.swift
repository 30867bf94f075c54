import AgentState
import Foundation
import GWSSimulator
import TestSupport
import Testing

/// One end-to-end scenario: a simulator on a random loopback port, the real daemon
/// pointed at it, a notify socket, and a temporary directory for config and state.
final class DaemonFixture: @unchecked Sendable {
    // Set up in init and `start`, then only read by the one test that owns the fixture.
    static let password = "pw-Zq8!x7"

    let directory: String
    let simulator: GWSSimulator
    let url: String
    /// Every node's base URL (one unless the fixture was made with several nodes).
    let urls: [String]
    let notify: NotifyListener
    var daemon: DaemonProcess?

    var statePath: String { directory + "/state.json" }
    var configPath: String { directory + "/config.yaml" }
    var metricsPath: String { directory + "/gws_agentd.prom" }

    /// - Parameter agents: the agents gws-sim knows, each with ``password``; the daemon follows the first.
    init(
        cometd: CometDSettings = CometDSettings(timeout: .seconds(1), maxInterval: .seconds(3)), legacy: Bool = false,
        nodes: Int = 1, agents: [String] = ["agent1"]
    ) async throws {
        var template = Array("/tmp/gws-e2e.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        simulator = GWSSimulator(
            configuration: SimulatorConfiguration(
                agents: agents.map { SimulatedAgent(username: $0, password: Self.password) }, cometd: cometd,
                legacyReplies: legacy, nodes: nodes))
        url = try await simulator.start()
        urls = await simulator.baseURLs
        notify = try NotifyListener(path: directory + "/notify.sock")
        try Data((Self.password + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/password"))
        chmod(directory + "/password", 0o600)
        try writeConfig()
    }

    /// Writes the configuration; `extra` lines are appended as they are, `server` lines
    /// (`ca_file: …`) go into the `server` section.
    func writeConfig(
        url: String? = nil, urls: [String]? = nil, username: String = "agent1", heartbeat: Int = 1,
        stateFile: String? = nil, level: String = "debug", server: [String] = [], extra: String = ""
    ) throws {
        // One URL as a scalar, several as a YAML sequence (the nodes of a cluster).
        let list = urls ?? [url ?? self.url]
        let urlValue = list.count == 1 ? " \(list[0])" : list.map { "\n    - \($0)" }.joined()
        let text = """
            server:
              url:\(urlValue)
              username: \(username)
              password_file: \(directory)/password
              max_network_delay_s: 2\(server.map { "\n  " + $0 }.joined())
            state:
              file: \(stateFile ?? statePath)
              heartbeat_s: \(heartbeat)
            log:
              format: json
              level: \(level)
            metrics:
              textfile: \(metricsPath)
            \(extra)
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    /// Starts the daemon with `NOTIFY_SOCKET` pointing at the listener.
    @discardableResult
    func start(environment: [String: String] = [:], arguments: [String]? = nil) throws -> DaemonProcess {
        let process = try DaemonProcess(
            arguments: arguments ?? ["run", "--config", configPath],
            environment: ["NOTIFY_SOCKET": notify.path].merging(environment) { _, new in new },
            outputPath: directory + "/daemon.log")
        daemon = process
        return process
    }

    /// The state file as it is now, if it can be read.
    func state() -> StateDocument? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        return try? StateDocument.decode(Array(data))
    }

    /// Waits until the state file satisfies `condition`; a failed wait names `what` and the
    /// file's last connection and agent.
    func waitForState(
        _ what: String = "the state file to satisfy the test's condition",
        sourceLocation: SourceLocation = #_sourceLocation, _ condition: @escaping (StateDocument) -> Bool
    ) async -> StateDocument? {
        await waitFor(
            what,
            diagnosis: "last state: "
                + (self.state().map { "\($0.connection.state.rawValue), \($0.agent.state), synced \($0.agent.synced)" }
                    ?? "none"),
            sourceLocation: sourceLocation
        ) {
            self.state().flatMap { condition($0) ? $0 : nil }
        }
    }

    /// Waits until the daemon is connected and synced, with the agent in `state`.
    func waitForSynced(
        agentState: String? = nil, dnd: Bool? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> StateDocument? {
        let what =
            "connected and synced" + (agentState.map { ", agent \($0)" } ?? "") + (dnd.map { ", DND \($0)" } ?? "")
        return await waitForState(what, sourceLocation: sourceLocation) { document in
            document.connection.connected && document.agent.synced
                && (agentState.map { document.agent.state == $0 } ?? true)
                && (dnd.map { document.agent.dnd == $0 } ?? true)
        }
    }

    /// Everything the daemon wrote: its output, the state file, the metrics file.
    var everythingWritten: String {
        let files = [statePath, metricsPath].compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        return ([daemon?.output ?? ""] + files + notify.messages).joined(separator: "\n")
    }

    /// Stops the daemon (SIGTERM, then SIGKILL if needed) and everything else.
    func tearDown() async {
        await stopEverything(
            daemon: daemon, notify: notify, simulator: simulator, directory: directory)
    }
}

/// The end of every end-to-end scenario: the daemon gets SIGTERM and must exit (else an
/// issue, then SIGKILL), then the notify listener and the simulator stop and the directory goes.
func stopEverything(
    daemon: DaemonProcess?, notify: NotifyListener, simulator: GWSSimulator, directory: String
) async {
    if let daemon {
        if daemon.process.isRunning {
            daemon.signal(SIGTERM)
            _ = await daemon.waitForExit("the daemon to exit on SIGTERM at the end of the test")
        }
        await daemon.terminate()
    }
    notify.stop()
    await simulator.stop()
    try? FileManager.default.removeItem(atPath: directory)
}

/// Runs `body` with `fixture` and always calls `tearDown` after it, thrown errors included.
func withTearDown<Fixture>(
    _ fixture: Fixture, tearDown: (Fixture) async -> Void, _ body: (Fixture) async throws -> Void
) async throws {
    do {
        try await body(fixture)
    } catch {
        await tearDown(fixture)
        throw error
    }
    await tearDown(fixture)
}

/// Runs `body` with a fixture and always tears it down.
func withDaemon(
    cometd: CometDSettings = CometDSettings(timeout: .seconds(1), maxInterval: .seconds(3)), legacy: Bool = false,
    nodes: Int = 1, agents: [String] = ["agent1"], _ body: (DaemonFixture) async throws -> Void
) async throws {
    let fixture = try await DaemonFixture(cometd: cometd, legacy: legacy, nodes: nodes, agents: agents)
    try await withTearDown(fixture, tearDown: { await $0.tearDown() }, body)
}
