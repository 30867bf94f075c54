import AgentState
import Foundation
import GWSSimulator
import Glibc

/// `fleet`: one daemon following many agents (`agents.directory`) beside single-agent
/// daemons, against one in-process simulator that serves them all:
///
/// - memory per agent beyond the first: `Private_Dirty` and `Anonymous` of
///   `/proc/PID/smaps_rollup` for one agent and for N, after the same idle settling;
/// - start to all synced, with the default paced logins (8 at once, up to 1 s of jitter);
/// - idle CPU for N agents (long polls held 25 s);
/// - CPU per notification, one notification every `spacing`, spread over every agent,
///   against the same pace on one agent (idle CPU subtracted from both);
/// - the same figures for `singles` single-agent daemons side by side, extrapolated to N.
struct FleetBench {
    let binary: String
    let agents: Int
    let singles: Int
    let idleSeconds: Int
    let notifications: Int
    let spacing: Duration = .milliseconds(12)

    /// A running daemon process and its files.
    struct Daemon {
        let process: Process
        let directory: String
        var sampler: ProcessSampler { ProcessSampler(pid: process.processIdentifier) }
    }

    func run() async throws {
        // A binary just linked sits in dirty page-cache pages, which smaps counts as the
        // process's Private_Dirty until written back: write them back first.
        sync()
        print(
            "fleet: one daemon for \(agents) agents vs \(singles) single-agent daemons; long polls held 25 s, "
                + "idle \(idleSeconds) s, \(notifications) notifications one per \(spacing)")
        let served = max(agents, singles)
        let simulator = GWSSimulator(
            configuration: SimulatorConfiguration(
                agents: (1...served).map {
                    SimulatedAgent(username: "agent\($0)", password: "bench-pw", phoneNumber: "\(100_000 + $0)")
                },
                cometd: CometDSettings(timeout: .seconds(25), maxInterval: .seconds(40))))
        let url = try await simulator.start()
        defer { Task { await simulator.stop() } }
        let root = "/dev/shm/daemon-bench-fleet-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }

        // One agent in the fleet layout: the base the extra agents are measured against.
        let one = try startFleet(url: url, count: 1, directory: root + "/one")
        guard await waitForSynced(one, usernames: ["agent1"], timeout: .seconds(30)) != nil else {
            stop(one)
            throw BenchError("the one-agent daemon did not sync; see \(one.directory)/daemon.log")
        }
        try await Task.sleep(for: .seconds(5))
        let oneMemory = one.sampler.rollup()
        let oneCPU = try await perNotification(one, simulator: simulator, usernames: ["agent1"])
        stop(one)

        // N agents.
        let started = monotonicNanoseconds()
        let fleet = try startFleet(url: url, count: agents, directory: root + "/fleet")
        let usernames = (1...agents).map { "agent\($0)" }
        guard let syncedAfter = await waitForSynced(fleet, usernames: usernames, timeout: .seconds(300)) else {
            stop(fleet)
            throw BenchError("not every agent synced within 300 s; see \(fleet.directory)/daemon.log")
        }
        let startSeconds = Double(syncedAfter - started) / 1e9
        try await Task.sleep(for: .seconds(5))
        let idle = try await idleCPU(fleet)
        let fleetMemory = fleet.sampler.rollup()
        let fleetCPU = try await perNotification(fleet, simulator: simulator, usernames: usernames)
        let resident = fleet.sampler.residentBytes() ?? 0
        stop(fleet)

        // Single-agent daemons side by side, each with its own agent.
        var daemons: [Daemon] = []
        let singlesStarted = monotonicNanoseconds()
        for number in 1...singles {
            daemons.append(try startSingle(url: url, username: "agent\(number)", directory: root + "/single\(number)"))
        }
        var singleSynced = 0.0
        for daemon in daemons {
            guard let at = await waitForSynced(daemon, usernames: ["state"], timeout: .seconds(60)) else {
                daemons.forEach(stop)
                throw BenchError("a single-agent daemon did not sync; see \(daemon.directory)/daemon.log")
            }
            singleSynced = max(singleSynced, Double(at - singlesStarted) / 1e9)
        }
        try await Task.sleep(for: .seconds(5))
        let singleIdle = try await idleCPU(daemons[0], others: Array(daemons.dropFirst()))
        let singleMemory = daemons.compactMap { $0.sampler.rollup() }
        let singleCPU = try await perNotification(
            daemons, simulator: simulator, usernames: (1...singles).map { "agent\($0)" }, idleShare: singleIdle)
        daemons.forEach(stop)

        guard let oneMemory, let fleetMemory, !singleMemory.isEmpty else {
            throw BenchError("cannot read /proc/PID/smaps_rollup")
        }
        let perAgent = Double(fleetMemory.total - oneMemory.total) / Double(max(1, agents - 1))
        let singleAverage = Double(singleMemory.map(\.total).reduce(0, +)) / Double(singleMemory.count)
        let singlePrivate = Double(singleMemory.map(\.privateTotal).reduce(0, +)) / Double(singleMemory.count)
        report(
            String(
                format:
                    "memory per agent beyond the first: %.1f KB (Private_Dirty %.1f KB, Anonymous %.1f KB per agent; "
                    + "one agent %.2f MB, %d agents %.2f MB; resident %.1f MB) (target under 64 KB)",
                perAgent / 1024,
                Double(fleetMemory.privateDirty - oneMemory.privateDirty) / Double(max(1, agents - 1)) / 1024,
                Double(fleetMemory.anonymous - oneMemory.anonymous) / Double(max(1, agents - 1)) / 1024,
                Double(oneMemory.total) / 1e6, agents, Double(fleetMemory.total) / 1e6, Double(resident) / 1e6),
            target: perAgent < 64 * 1024)
        report(String(format: "start to all %d agents synced: %.2f s (paced logins)", agents, startSeconds))
        report(
            String(format: "idle CPU for %d agents: %.3f %% of a core (target under 1 %%)", agents, idle * 100),
            target: idle < 0.01)
        report(
            String(
                format: "CPU per notification: %.1f µs over %d agents, %.1f µs on one agent (target: not worse)",
                fleetCPU * 1e6, agents, oneCPU * 1e6),
            target: fleetCPU <= oneCPU * 1.25 + 5e-6)
        report(
            String(
                format:
                    "single-agent daemons (%d measured): %.2f MB Private_Dirty + Anonymous each (%.2f MB all private), "
                    + "idle CPU %.4f %% each, %.1f µs per notification, all synced %.2f s after start",
                singles, singleAverage / 1e6, singlePrivate / 1e6, singleIdle / Double(singles) * 100,
                singleCPU * 1e6, singleSynced))
        report(
            String(
                format:
                    "%d single-agent daemons, extrapolated: %.0f MB (Private_Dirty + Anonymous; %.0f MB all private), "
                    + "idle CPU %.2f %% of a core; the one daemon: %.1f MB, %.3f %%",
                agents, singleAverage * Double(agents) / 1e6, singlePrivate * Double(agents) / 1e6,
                singleIdle / Double(singles) * Double(agents) * 100, Double(fleetMemory.total) / 1e6, idle * 100))
    }

    /// The share of a core the daemon used over `idleSeconds` (summed over `others` too).
    private func idleCPU(_ daemon: Daemon, others: [Daemon] = []) async throws -> Double {
        let all = [daemon] + others
        let before = all.map { $0.sampler.preciseCPUSeconds() }
        let start = monotonicNanoseconds()
        try await Task.sleep(for: .seconds(idleSeconds))
        let after = all.map { $0.sampler.preciseCPUSeconds() }
        let wall = Double(monotonicNanoseconds() - start) / 1e9
        return zip(after, before).map { $0 - $1 }.reduce(0, +) / wall
    }

    /// CPU seconds per notification: `notifications` changes one per `spacing`, round
    /// robin over `usernames`, until the last one shows in its file; the idle share of a
    /// core over the same time is subtracted (measured now when not given).
    private func perNotification(
        _ daemon: Daemon, simulator: GWSSimulator, usernames: [String], idleShare: Double? = nil
    ) async throws -> Double {
        try await perNotification([daemon], simulator: simulator, usernames: usernames, idleShare: idleShare)
    }

    /// As above, over several daemons: the notifications go round robin over `usernames`,
    /// `usernames[i]` followed by `daemons[i]` when there is one daemon per agent; the CPU
    /// of every daemon counts.
    private func perNotification(
        _ daemons: [Daemon], simulator: GWSSimulator, usernames: [String], idleShare: Double? = nil
    ) async throws -> Double {
        let idle: Double
        if let idleShare { idle = idleShare } else { idle = try await idleCPUShort(daemons[0]) }
        func cpu() -> Double { daemons.map { $0.sampler.preciseCPUSeconds() }.reduce(0, +) }
        let cpuBefore = cpu()
        let start = monotonicNanoseconds()
        var next = start
        var last: [String: String] = [:]
        for index in 0..<notifications {
            let username = usernames[index % usernames.count]
            let state = (index / usernames.count) % 2 == 0 ? "Ready" : "NotReady"
            await simulator.engine.apply(state, scope: .channel("chat"), username: username)
            last[username] = state
            next += UInt64(spacing / .nanoseconds(1))
            let now = monotonicNanoseconds()
            if next > now { try await Task.sleep(for: .nanoseconds(Int64(next - now))) }
        }
        // Every agent's file shows its last change.
        let deadline = ContinuousClock.now + .seconds(60)
        var pending = Set(last.keys)
        while !pending.isEmpty && ContinuousClock.now < deadline {
            pending = pending.filter { username in
                let document: StateDocument?
                if daemons.count > 1, let index = usernames.firstIndex(of: username) {
                    document = read(daemons[index], "state")
                } else {
                    document = read(daemons[0], usernames.count == 1 ? fileName(daemons[0]) : username)
                }
                return document?.agent.channels.first { $0.name == "chat" }?.state != last[username]
            }
            if !pending.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard pending.isEmpty else { throw BenchError("\(pending.count) agents never showed their last change") }
        let wall = Double(monotonicNanoseconds() - start) / 1e9
        let used = cpu() - cpuBefore - idle * wall
        return max(0, used) / Double(notifications)
    }

    private func idleCPUShort(_ daemon: Daemon) async throws -> Double {
        let before = daemon.sampler.preciseCPUSeconds()
        let start = monotonicNanoseconds()
        try await Task.sleep(for: .seconds(10))
        return ((daemon.sampler.preciseCPUSeconds()) - before) / (Double(monotonicNanoseconds() - start) / 1e9)
    }

    /// The state file's base name in `daemon`'s directory: `state` for a single-agent daemon.
    private func fileName(_ daemon: Daemon) -> String {
        FileManager.default.fileExists(atPath: daemon.directory + "/state/state.json") ? "state" : "agent1"
    }

    private func read(_ daemon: Daemon, _ name: String) -> StateDocument? {
        guard let data = FileManager.default.contents(atPath: daemon.directory + "/state/\(name).json") else {
            return nil
        }
        return try? StateDocument.decode(Array(data))
    }

    /// Waits until the files `usernames` (without `.json`) all say connected and synced;
    /// returns when (monotonic nanoseconds).
    private func waitForSynced(_ daemon: Daemon, usernames: [String], timeout: Duration) async -> UInt64? {
        let deadline = ContinuousClock.now + timeout
        var pending = Set(usernames)
        while ContinuousClock.now < deadline {
            pending = pending.filter { name in
                guard let document = read(daemon, name) else { return true }
                return !(document.connection.connected && document.agent.synced)
            }
            if pending.isEmpty { return monotonicNanoseconds() }
            try? await Task.sleep(for: .milliseconds(pending.count > 100 ? 100 : 10))
        }
        return nil
    }

    private func startFleet(url: String, count: Int, directory: String) throws -> Daemon {
        try FileManager.default.createDirectory(atPath: directory + "/agents", withIntermediateDirectories: true)
        for number in 1...count {
            let path = directory + "/agents/agent\(number).password"
            try Data("bench-pw\n".utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
        }
        return try start(
            directory: directory,
            config: """
                server:
                  url: \(url)
                agents:
                  directory: \(directory)/agents
                state:
                  directory: \(directory)/state
                  heartbeat_s: 10
                log:
                  format: json
                  level: notice
                """)
    }

    private func startSingle(url: String, username: String, directory: String) throws -> Daemon {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("bench-pw\n".utf8).write(to: URL(fileURLWithPath: directory + "/password"))
        chmod(directory + "/password", 0o600)
        return try start(
            directory: directory,
            config: """
                server:
                  url: \(url)
                  username: \(username)
                  password_file: \(directory)/password
                state:
                  file: \(directory)/state/state.json
                  heartbeat_s: 10
                log:
                  format: json
                  level: notice
                """)
    }

    private func start(directory: String, config: String) throws -> Daemon {
        try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/config.yaml"))
        let process = try launchDaemon(binary: binary, directory: directory)
        return Daemon(process: process, directory: directory)
    }

    private func stop(_ daemon: Daemon) {
        guard daemon.process.isRunning else { return }
        kill(daemon.process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(20)
        while daemon.process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) }
    }
}

/// `Private_Dirty` and `Anonymous` of `/proc/PID/smaps_rollup`, and all private memory.
struct MemoryRollup {
    var privateDirty = 0
    var anonymous = 0
    var privateClean = 0
    /// What an agent costs: the larger of `Private_Dirty` and `Anonymous`. Touched
    /// anonymous pages are private dirty ones, so adding the two would count them twice.
    var total: Int { max(privateDirty, anonymous) }
    var privateTotal: Int { privateDirty + privateClean }
}

extension ProcessSampler {
    func rollup() -> MemoryRollup? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        var rollup = MemoryRollup()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kilobytes = Int(parts[1]) else { continue }
            switch parts[0] {
            case "Private_Dirty:": rollup.privateDirty = kilobytes * 1024
            case "Anonymous:": rollup.anonymous = kilobytes * 1024
            case "Private_Clean:": rollup.privateClean = kilobytes * 1024
            default: break
            }
        }
        return rollup
    }
}

extension ProcessSampler {
    /// CPU time of every thread so far, in seconds, from `/proc/PID/task/*/schedstat`
    /// (nanoseconds, where `/proc/PID/stat` counts 10 ms ticks: too coarse for a daemon
    /// that wakes for a long poll every 25 s).
    func preciseCPUSeconds() -> Double {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return 0 }
        var nanoseconds: UInt64 = 0
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
                let first = text.split(separator: " ").first, let value = UInt64(first)
            else { continue }
            nanoseconds += value
        }
        return Double(nanoseconds) / 1e9
    }
}
