import AgentState
import Foundation
import GWSSimulator
import Locking
import ScriptedHTTPServer

/// gws-sim in this process and the real `gws-agentd run` beside it, with the state file
/// on tmpfs (`/dev/shm`), as `/run` is on a real host.
final class BenchSetup: @unchecked Sendable {
    // Set once in `start`; used by one scenario at a time.
    let simulator: GWSSimulator
    /// The simulator's base URL.
    let url: String
    let directory: String
    let daemon: Process
    let watch: DirectoryWatch
    /// When the simulator wrote each CometD response (a delivery, when it carries events).
    let deliveries: DeliveryTimes

    var statePath: String { directory + "/state.json" }
    var sampler: ProcessSampler { ProcessSampler(pid: daemon.processIdentifier) }

    private init(
        simulator: GWSSimulator, url: String, directory: String, daemon: Process, watch: DirectoryWatch,
        deliveries: DeliveryTimes
    ) {
        self.deliveries = deliveries
        self.simulator = simulator
        self.url = url
        self.directory = directory
        self.daemon = daemon
        self.watch = watch
    }

    /// Starts both with long polls held `holdSeconds`, and waits until the daemon is synced.
    /// With `nodes` > 1 the simulator is a cluster and `server.url` lists every node.
    static func start(binary: String, holdSeconds: Int, nodes: Int = 1) async throws -> BenchSetup {
        let simulator = GWSSimulator(
            configuration: SimulatorConfiguration(
                agents: [SimulatedAgent(username: "agent1", password: "bench-pw")],
                cometd: CometDSettings(
                    timeout: .seconds(Int64(holdSeconds)), maxInterval: .seconds(Int64(holdSeconds) + 10)),
                nodes: nodes))
        let deliveries = DeliveryTimes()
        let url = try await simulator.start { request in
            if request.uri.hasPrefix(GWSSimulator.notificationsPath) { deliveries.record() }
        }
        let directory = "/dev/shm/daemon-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("bench-pw\n".utf8).write(to: URL(fileURLWithPath: directory + "/password"))
        chmod(directory + "/password", 0o600)
        let urls = await simulator.baseURLs
        let urlValue = urls.count == 1 ? " \(url)" : urls.map { "\n    - \($0)" }.joined()
        let config = """
            server:
              url:\(urlValue)
              username: agent1
              password_file: \(directory)/password
            state:
              file: \(directory)/state.json
              heartbeat_s: 10
            log:
              format: json
              level: info
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/config.yaml"))
        guard let watch = DirectoryWatch(directory: directory, name: "state.json") else {
            throw BenchError("inotify is not available")
        }
        let daemon = try launchDaemon(binary: binary, directory: directory)
        let setup = BenchSetup(
            simulator: simulator, url: url, directory: directory, daemon: daemon, watch: watch, deliveries: deliveries)
        guard await setup.waitForState(timeout: .seconds(30), { $0.connection.connected && $0.agent.synced }) != nil
        else {
            await setup.stop()
            throw BenchError("the daemon did not connect; see its log")
        }
        return setup
    }

    /// The index of the node the daemon uses now (from the state file's `connection.server`).
    var nodeInUse: Int {
        get async {
            let urls = await simulator.baseURLs
            return state().flatMap { document in urls.firstIndex { $0 == document.connection.server } } ?? 0
        }
    }

    /// A new password on the server and in the daemon's password file, as an operator
    /// rotating it would do.
    func rotatePassword() async throws {
        let password = "bench-\(UInt32.random(in: 0 ... .max))"
        await simulator.engine.changePassword(password)
        try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/password"))
    }

    /// The state file now, if readable.
    func state() -> StateDocument? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        return try? StateDocument.decode(Array(data))
    }

    /// Polls the state file until `condition` holds.
    func waitForState(timeout: Duration, _ condition: (StateDocument) -> Bool) async -> StateDocument? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if let document = state(), condition(document) { return document }
            try? await Task.sleep(for: .milliseconds(5))
        } while ContinuousClock.now < deadline
        return nil
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after 5 s) and waits until it is gone.
    func stopDaemon() async {
        if daemon.isRunning { kill(daemon.processIdentifier, SIGTERM) }
        for _ in 0..<500 where daemon.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) }
    }

    /// Stops the daemon, the watcher and the simulator; removes the directory. With
    /// `keepingLog`, the daemon's log is first copied to `/tmp/daemon-bench-PID.log` (and
    /// the path printed), for a run that missed its target.
    func stop(keepingLog: Bool = false) async {
        await stopDaemon()
        watch.stop()
        await simulator.stop()
        if keepingLog {
            let kept = "/tmp/daemon-bench-\(getpid()).log"
            try? FileManager.default.removeItem(atPath: kept)
            if (try? FileManager.default.copyItem(atPath: directory + "/daemon.log", toPath: kept)) != nil {
                print("        the daemon's log: \(kept)")
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Starts `binary run --config DIRECTORY/config.yaml`, its standard error in
/// `DIRECTORY/daemon.log`.
func launchDaemon(binary: String, directory: String) throws -> Process {
    let daemon = Process()
    daemon.executableURL = URL(fileURLWithPath: binary)
    daemon.arguments = ["run", "--config", directory + "/config.yaml"]
    daemon.environment = ["PATH": "/usr/bin:/bin"]
    _ = FileManager.default.createFile(atPath: directory + "/daemon.log", contents: nil)
    daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/daemon.log"))
    daemon.standardOutput = FileHandle.nullDevice
    try daemon.run()
    return daemon
}

/// A benchmark that could not run.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Timestamps taken on the simulator's event loop as each CometD response is written.
final class DeliveryTimes: Sendable {
    private let stamps = Locked<[UInt64]>([])

    func record() {
        let now = monotonicNanoseconds()
        stamps.withLock { $0.append(now) }
    }

    var timestamps: [UInt64] { stamps.withLock { $0 } }
}
