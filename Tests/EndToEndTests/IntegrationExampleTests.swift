import AgentState
import Foundation
import GWSSimulator
import TestSupport
import Testing

/// `examples/follow_state.py`, the reader `docs/integration.md` shows, against the daemon.
@Suite("The Python reader in examples/", .serialized)
struct IntegrationExampleTests {
    @Test("follow_state.py prints each change with since when, and notices the daemon stopping")
    func pythonReader() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced(agentState: "NotReady") != nil)
            let output = f.directory + "/reader.out"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let reader = Process()
            reader.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            reader.arguments = [StateFileSchemaTests.repository + "/examples/follow_state.py", f.statePath]
            reader.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            reader.standardError = reader.standardOutput
            try reader.run()
            defer { if reader.isRunning { kill(reader.processIdentifier, SIGKILL) } }
            func printed(_ text: String, _ what: String) async {
                await waitUntil("the reader printed \(what)") {
                    ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains(text)
                }
            }
            await printed("agent1: NotReady since unknown, DND off, live", "the current state first")
            await f.simulator.engine.apply("Ready")
            let ready = await f.waitForState { $0.agent.state == "Ready" && $0.agent.stateSince != nil }
            let since = try #require(ready?.agent.stateSince)
            await printed("agent1: Ready since \(since), DND off, live", "the change, with its start")
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            await printed("NOT live: stopped", "that the final document says stopped")
        }
    }
}
