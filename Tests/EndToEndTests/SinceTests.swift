import AgentState
import Foundation
import GWSSimulator
import Testing

/// `state_since` across the daemon's life: set by a change, shown by `status`, kept by a
/// restart that finds the same state, forgotten when the state changed while it was down.
@Suite("The state file says since when", .serialized)
struct SinceTests {
    @Test("A restart keeps state_since when GWS agrees with the file, and forgets it when not")
    func restart() async throws {
        try await withDaemon { f in
            let first = try f.start()
            let initial = await f.waitForSynced(agentState: "NotReady")
            #expect(initial != nil)
            #expect(initial?.agent.stateSince == nil, "learned from the snapshot: unknown")
            await f.simulator.engine.apply("Ready")
            let ready = await f.waitForState("Ready with a known start") {
                $0.agent.state == "Ready" && $0.agent.stateSince != nil
            }
            let since = try #require(ready?.agent.stateSince)
            #expect(ready?.agent.channels.allSatisfy { $0.since != nil } == true)

            let status = try await runCommand(["status", "--state-file", f.statePath], directory: f.directory)
            #expect(status.stdout.contains("agent1: Ready for "), "status: \(status.stdout)")

            first.signal(SIGTERM)
            #expect(await first.waitForExit() == 0)
            let second = try f.start()
            let again = await f.waitForSynced(agentState: "Ready")
            #expect(again?.pid != ready?.pid)
            #expect(again?.agent.stateSince == since, "the file was the memory")

            second.signal(SIGTERM)
            #expect(await second.waitForExit() == 0)
            // Changed while no daemon was watching: nobody knows when.
            await f.simulator.engine.apply("NotReady")
            try f.start()
            let changed = await f.waitForSynced(agentState: "NotReady")
            #expect(changed != nil)
            #expect(changed?.agent.stateSince == nil)
        }
    }
}
