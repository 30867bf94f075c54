import AgentState
import Foundation
import GWSSimulator
import TestSupport
import Testing

/// gws-sim's hostile faults against the real daemon: for each, the daemon stays alive, its
/// watchdog keeps being fed, its memory stays bounded, and the state is right once the
/// fault ends.
@Suite("A hostile server, end to end", .serialized)
struct HostileServerTests {
    /// The daemon's resident memory, from `/proc/PID/status`.
    func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// The daemon's peak resident memory so far (`VmHWM`).
    func peakResidentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    @Test("A 0.9 MB notification of 300,000 empty objects: under 64 MB resident, and the next change arrives")
    func manyEmptyObjects() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced(agentState: "NotReady") != nil)
            let applied = f.simulator.counters[.faultsApplied]
            await f.simulator.engine.inject(.manyObjects(300_000), count: 3, target: .cometd)
            await waitUntil("the three replies of empty objects served") {
                f.simulator.counters[.faultsApplied] >= applied + 3
            }
            await f.simulator.engine.apply("Ready")
            #expect(await f.waitForSynced(agentState: "Ready") != nil, "the change after the fault")
            let peak = peakResidentBytes(daemon.pid) ?? .max
            #expect(peak < 64 << 20, "peak resident memory \(peak >> 20) MiB")
            #expect(daemon.process.isRunning)
        }
    }

    @Test("Many keys, deep nesting, a trickling body, a huge header, an endless body, a flood")
    func hostileFaults() async throws {
        try await withDaemon { f in
            // A 2 s watchdog: the daemon pings every second while its loop makes progress.
            let daemon = try f.start(environment: ["WATCHDOG_USEC": "2000000"])
            #expect(await f.waitForSynced(agentState: "NotReady") != nil)
            let faults: [(String, Fault, Int)] = [
                ("90,000 keys (under the 1 MiB cap)", .manyKeys(90_000), 3),
                ("nesting 100,000 deep", .deepNesting(100_000), 3),
                ("a body trickling one byte per 100 ms", .trickle, 1),
                ("a 200 KB header line", .hugeHeader(200_000), 3), ("an endless chunked body", .endlessBody, 2),
            ]
            var state = "NotReady"
            for (name, fault, count) in faults {
                let pings = f.notify.messages.filter { $0 == "WATCHDOG=1" }.count
                let applied = f.simulator.counters[.faultsApplied]
                await f.simulator.engine.inject(fault, count: count, target: .cometd)
                await waitUntil("\(name): the faults were served") {
                    f.simulator.counters[.faultsApplied] >= applied + count
                }
                state = state == "Ready" ? "NotReady" : "Ready"
                await f.simulator.engine.apply(state)
                let after = await f.waitForSynced(agentState: state)
                #expect(after != nil, "\(name): the state is right once the fault ends")
                #expect(daemon.process.isRunning, "\(name): the daemon is alive")
                await f.notify.wait(for: "\(name): the watchdog is fed") {
                    $0.filter { $0 == "WATCHDOG=1" }.count > pings
                }
                let resident = residentBytes(daemon.pid) ?? 0
                #expect(resident < 200 << 20, "\(name): resident memory \(resident) bytes")
            }
            // A flood: 2,000 changes as fast as the simulator makes them; the last one wins.
            for index in 0..<2000 {
                await f.simulator.engine.apply(index % 2 == 0 ? "Ready" : "NotReady", scope: .channel("chat"))
            }
            let flooded = await f.waitForState("the flood's last change") {
                $0.agent.channels.first { $0.name == "chat" }?.state == "NotReady" && $0.agent.synced
            }
            #expect(flooded != nil)
            #expect(daemon.process.isRunning)
            // The log names what was refused, once per kind at most a few times, not per byte.
            let failures = daemon.output.split(separator: "\n").filter { $0.contains("fail") || $0.contains("lost") }
            #expect(daemon.output.contains("more than 10000 members"), "\(failures.prefix(20).joined(separator: "\n"))")
        }
    }
}

/// `server.allow_insecure`: accepted, and never silent.
@Suite("Insecure settings, end to end", .serialized)
struct InsecureSettingTests {
    @Test("tls_verify: false runs only with allow_insecure, with a warning and INSECURE in STATUS=")
    func insecureIsLoud() async throws {
        try await withDaemon { f in
            try f.writeConfig(server: ["tls_verify: false"])
            let refused = try f.start()
            #expect(await refused.waitForExit() == 78, "refused without allow_insecure")
            #expect(refused.output.contains("server.allow_insecure: true"))
            try f.writeConfig(server: ["tls_verify: false", "allow_insecure: true"])
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            await f.notify.wait(for: "STATUS=INSECURE (TLS verification off): connected") {
                $0.contains { $0.hasPrefix("STATUS=INSECURE (TLS verification off): connected") }
            }
            #expect(daemon.output.contains("INSECURE (server.allow_insecure): TLS verification off"))
        }
    }
}
