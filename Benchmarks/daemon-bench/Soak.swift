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

    /// A fault: how to inject it, whether an agent change is made while it lasts, and
    /// what to put back once the daemon has recovered.
    struct Fault: Sendable {
        let name: String
        let inject: @Sendable (BenchSetup) async throws -> Void
        var changeDuring = true
        var restore: @Sendable (BenchSetup) async throws -> Void = { _ in }
    }

    /// The faults, injected in turn, on a two-node cluster.
    static let faults: [Fault] = [
        // Faults that lose GWS's HTTP session alternate with faults that do not: losses a
        // few seconds apart are paced on purpose (a server that keeps refusing must not be
        // hammered), and each fault's recovery is measured on its own.
        Fault(name: "dropped sessions", inject: { await $0.simulator.engine.dropSessions() }),
        Fault(name: "HTTP sessions expired", inject: { await $0.simulator.engine.expireHTTPSessions() }),
        Fault(name: "5xx burst", inject: { await $0.simulator.engine.inject(.status(503), count: 4, target: .cometd) }),
        Fault(name: "password rotated", inject: { setup in try await setup.rotatePassword() }),
        Fault(name: "hung request", inject: { await $0.simulator.engine.inject(.hang, count: 1, target: .cometd) }),
        Fault(
            name: "EndContactCenterSession", inject: { await $0.simulator.engine.endContactCenterSession() },
            changeDuring: false, restore: { await $0.simulator.engine.apply("StartContactCenterSession") }),
        Fault(
            name: "malformed body", inject: { await $0.simulator.engine.inject(.malformed, count: 1, target: .cometd) }),
        Fault(name: "server restart", inject: { try await $0.simulator.restart(downtime: .milliseconds(800)) }),
        Fault(name: "empty body", inject: { await $0.simulator.engine.inject(.empty, count: 1, target: .cometd) }),
        Fault(
            name: "node in use stopped",
            inject: { setup in await setup.simulator.stopListening(node: await setup.nodeInUse) },
            restore: { try await $0.simulator.startListening() }),
        Fault(
            name: "oversized body",
            inject: { await $0.simulator.engine.inject(.oversized(2 << 20), count: 1, target: .cometd) }),
        Fault(
            name: "closed mid-body",
            inject: { await $0.simulator.engine.inject(.closeMidBody, count: 1, target: .cometd) }),
    ]

    /// The agent changes made between faults, each visible in the file as (chat, dnd).
    static let changes: [(operation: String, scope: OperationScope)] = [
        ("Ready", .channel("chat")), ("DoNotDisturbOn", .all), ("NotReady", .channel("chat")),
        ("DoNotDisturbOff", .all), ("OutToLunch", .channel("chat")),
    ]

    func run() async throws {
        print("soak: \(duration) of faults every few seconds on a two-node cluster, with agent changes between them")
        let setup = try await BenchSetup.start(binary: binary, holdSeconds: 5, nodes: 2)
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
        var recovery: [String: (count: Int, worst: Duration)] = [:]

        func change() async {
            let change = Self.changes[changeIndex % Self.changes.count]
            changeIndex += 1
            await setup.simulator.engine.apply(change.operation, scope: change.scope)
        }

        while clock.now - start < duration {
            let fault = Self.faults[faultCount % Self.faults.count]
            faultCount += 1
            let before = setup.state()
            let logged = await setup.simulator.engine.requests.count
            try await fault.inject(setup)
            let injected = clock.now
            // A change while the fault lasts: it must reach the file once the daemon is back.
            if fault.changeDuring { await change() }
            let truth = await setup.simulator.engine.agent()
            // Back means: the daemon noticed (its connection changed state, or it made a new
            // session), and is connected and synced again with the simulator's truth.
            let recovered = await setup.waitForState(timeout: .seconds(60)) { document in
                let noticed =
                    document.connection.since != before?.connection.since
                    || document.connection.handshakes != before?.connection.handshakes
                return noticed && document.connection.connected && document.agent.synced
                    && Self.matches(document, truth)
            }
            let syncedAt = clock.now
            // The fault took effect at its first refused, failed or faulted request (or at
            // once, for a restart or a stopped node, which close the connections).
            let effect = await setup.simulator.engine.requests.dropFirst(logged).first { request in
                request.at >= injected && (request.faulted || request.status >= 400 || request.status == 0)
            }
            let took = max(.zero, (effect.map { max($0.at, injected) } ?? injected).duration(to: syncedAt))
            if recovered == nil {
                unsynced += 1
                report("synced did not come back after \(fault.name)", target: false)
            } else {
                let previous = recovery[fault.name] ?? (0, .zero)
                recovery[fault.name] = (previous.count + 1, max(previous.worst, took))
                if fault.changeDuring { changesSeen += 1 }
            }
            await setup.simulator.engine.clearFaults()
            try await fault.restore(setup)
            // The calm: three changes, each awaited in the file before the next.
            for _ in 0..<3 {
                await change()
                let truth = await setup.simulator.engine.agent()
                let seen = await setup.waitForState(timeout: .seconds(10)) { Self.matches($0, truth) }
                if seen != nil {
                    changesSeen += 1
                } else {
                    changesMissed += 1
                    report("a change after \(fault.name) did not reach the file within 10 s", target: false)
                }
                try await Task.sleep(for: .milliseconds(300))
            }
            if baseline == nil, clock.now >= baselineAt {
                baseline = (sampler.residentBytes() ?? 0, openDescriptors(setup.daemon.processIdentifier))
            }
            try await Task.sleep(for: .seconds(2))
        }

        let final = await setup.waitForState(timeout: .seconds(30)) { $0.connection.connected && $0.agent.synced }
        let truth = await setup.simulator.engine.agent()
        let rssEnd = sampler.residentBytes() ?? 0
        let fdsEnd = openDescriptors(setup.daemon.processIdentifier)
        let handshakes = await setup.simulator.engine.requests.filter { $0.channels.contains("/meta/handshake") }.count
        let alive = setup.daemon.isRunning
        await setup.stop()

        report(
            "\(faultCount) faults of \(recovery.count) kinds; worst time from a fault's first effect to synced with the truth:"
        )
        for (name, entry) in recovery.sorted(by: { $0.key < $1.key }) {
            let seconds = Double(entry.worst.components.seconds) + Double(entry.worst.components.attoseconds) / 1e18
            let padded = name.padding(toLength: 24, withPad: " ", startingAt: 0)
            report(String(format: "  %@ %3d faults, worst %.2f s", padded, entry.count, seconds))
        }
        report("the daemon ran throughout", target: alive)
        report("synced came back after \(faultCount - unsynced) of \(faultCount) faults", target: unsynced == 0)
        report(
            "\(changesSeen) of \(changesSeen + changesMissed) changes seen (those made during faults included)",
            target: changesMissed == 0)
        report(
            "the final state file equals the simulator's truth", target: final.map { Self.matches($0, truth) } ?? false)
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

    /// Whether the file shows the simulator's truth: every channel's state, reason and DND.
    static func matches(_ document: StateDocument, _ truth: SimulatedAgent?) -> Bool {
        guard let truth, document.agent.channels.count == truth.channels.count else { return false }
        return zip(document.agent.channels, truth.channels).allSatisfy { file, real in
            file.name == real.name && file.state == real.state.state && file.reason == real.state.reason
                && file.dnd == real.dnd
        }
    }

    /// Entries in `/proc/PID/fd`.
    func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }
}
