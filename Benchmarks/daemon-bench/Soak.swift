import AgentState
import Foundation
import GWSSimulator

/// The soak run: the release daemon against gws-sim for a long time, a fault every few
/// seconds and agent changes in the calm between them. At the end it asserts what
/// `docs/reliability.md` lists: the file equals the simulator's truth, every change made
/// while connected was seen in order, `synced` came back after every fault, memory and
/// descriptors stayed flat, and handshakes stayed within what the backoff allows.
struct Soak {
    let binary: String
    let duration: Duration

    /// The faults, injected in turn.
    static let faults: [(name: String, inject: @Sendable (GWSSimulator) async throws -> Void)] = [
        ("dropped sessions", { await $0.dropSessions() }),
        ("5xx burst", { await $0.inject(.status(503), count: 4, target: .cometd) }),
        ("hung request", { await $0.inject(.hang, count: 1, target: .cometd) }),
        ("server restart", { try await $0.restart(downtime: .milliseconds(800)) }),
        ("malformed body", { await $0.inject(.malformed, count: 1, target: .cometd) }),
        ("empty body", { await $0.inject(.empty, count: 1, target: .cometd) }),
        ("oversized body", { await $0.inject(.oversized(2 << 20), count: 1, target: .cometd) }),
        ("closed mid-body", { await $0.inject(.closeMidBody, count: 1, target: .cometd) }),
    ]

    /// The agent changes made between faults, each visible in the file as (chat, dnd).
    static let changes: [(operation: String, scope: OperationScope)] = [
        ("Ready", .channel("chat")), ("DoNotDisturbOn", .all), ("NotReady", .channel("chat")),
        ("DoNotDisturbOff", .all), ("OutToLunch", .channel("chat")),
    ]

    func run() async throws {
        print("soak: \(duration) of faults every few seconds, with agent changes between them")
        let setup = try await BenchSetup.start(binary: binary, holdSeconds: 5)
        let sampler = setup.sampler
        let clock = ContinuousClock()
        let start = clock.now
        let baselineAt = start + duration / 5
        var baseline: (rss: Int, fds: Int)?
        var faultCount = 0
        var unsynced = 0
        var changesSeen = 0
        var changesMissed = 0
        var changeIndex = 0
        var faultsByName: [String: Int] = [:]

        while clock.now - start < duration {
            let (name, inject) = Self.faults[faultCount % Self.faults.count]
            faultCount += 1
            faultsByName[name, default: 0] += 1
            try await inject(setup.simulator)
            // Recovery: connected and synced again from a fresh snapshot.
            let recovered = await setup.waitForState(timeout: .seconds(60)) {
                $0.connection.connected && $0.agent.synced
            }
            if recovered == nil {
                unsynced += 1
                report("synced did not come back after \(name)", target: false)
            }
            await setup.simulator.clearFaults()
            // The calm: three changes, each awaited in the file before the next.
            for _ in 0..<3 {
                let change = Self.changes[changeIndex % Self.changes.count]
                changeIndex += 1
                await setup.simulator.apply(change.operation, scope: change.scope)
                let truth = await setup.simulator.agent()
                let expectedChat = truth?.channels.first { $0.name == "chat" }?.state
                let expectedDND = truth?.channels.first { $0.name == "voice" }?.dnd
                let seen = await setup.waitForState(timeout: .seconds(10)) { document in
                    let chat = document.agent.channels.first { $0.name == "chat" }
                    return chat?.state == expectedChat?.state && chat?.reason == expectedChat?.reason
                        && document.agent.channels.first { $0.name == "voice" }?.dnd == expectedDND
                }
                if seen != nil { changesSeen += 1 } else { changesMissed += 1 }
                try await Task.sleep(for: .milliseconds(300))
            }
            if baseline == nil, clock.now >= baselineAt {
                baseline = (sampler.residentBytes() ?? 0, openDescriptors(setup.daemon.processIdentifier))
            }
            try await Task.sleep(for: .seconds(2))
        }

        let final = await setup.waitForState(timeout: .seconds(30)) { $0.connection.connected && $0.agent.synced }
        let truth = await setup.simulator.agent()
        let rssEnd = sampler.residentBytes() ?? 0
        let fdsEnd = openDescriptors(setup.daemon.processIdentifier)
        let handshakes = await setup.simulator.requests.filter { $0.channels.contains("/meta/handshake") }.count
        let alive = setup.daemon.isRunning
        await setup.stop()

        let faultList = faultsByName.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        report("\(faultCount) faults: \(faultList)")
        report("the daemon ran throughout", target: alive)
        report("synced came back after \(faultCount - unsynced) of \(faultCount) faults", target: unsynced == 0)
        report(
            "\(changesSeen) of \(changesSeen + changesMissed) changes made while connected seen, in order",
            target: changesMissed == 0)
        let matches =
            final.map { document in
                truth.map { truth in
                    zip(document.agent.channels, truth.channels).allSatisfy { file, real in
                        file.name == real.name && file.state == real.state.state && file.reason == real.state.reason
                            && file.dnd == real.dnd
                    }
                } ?? false
            } ?? false
        report("the final state file equals the simulator's truth", target: matches)
        if let baseline {
            let growth = rssEnd - baseline.rss
            report(
                String(
                    format: "resident memory %.2f MB at the baseline, %.2f MB at the end (growth under 2 MB)",
                    Double(baseline.rss) / 1e6, Double(rssEnd) / 1e6),
                target: growth < 2_000_000)
            report(
                "open descriptors \(baseline.fds) at the baseline, \(fdsEnd) at the end",
                target: fdsEnd <= baseline.fds + 2)
        } else {
            report("too short for a memory baseline", target: false)
        }
        // Each fault may cost a few handshake attempts; the backoff spaces the rest.
        let allowed = 1 + faultCount * 4
        report(
            "\(handshakes) handshake attempts for \(faultCount) faults (at most \(allowed))",
            target: handshakes <= allowed)
    }

    /// Entries in `/proc/PID/fd`.
    func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }
}
