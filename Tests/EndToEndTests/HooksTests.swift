import AgentState
import Foundation
import GWSSimulator
import TestSupport
import Testing

/// `gws-agentd hooks` beside the real daemon: every change of a scripted run reaches a hook,
/// in order, with the change in the environment and the document on stdin; a hook that
/// overruns its timeout is killed and logged, and the daemon's state file stays on time.
@Suite("Hooks, end to end", .serialized)
struct HooksTests {
    @Test("A hook sees every change in order; a hook past its timeout is killed and logged, the daemon on time")
    func everyChangeInOrder() async throws {
        try await withDaemon { f in
            let hooks = f.directory + "/hooks.d"
            let record = f.directory + "/record.log"
            try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
            try write(
                hooks + "/10-record",
                """
                #!/bin/sh
                stdin=$(cat)
                case "$stdin" in *'"schema":1'*) document=document ;; *) document=nothing ;; esac
                echo "$GWS_HOOK_AGENT $GWS_HOOK_PREVIOUS_STATE/$GWS_HOOK_PREVIOUS_DND $GWS_HOOK_STATE/$GWS_HOOK_DND $document" >> \(record)
                """)
            // A hook that never ends by itself: it follows /dev/null, which never grows (no clock).
            try write(hooks + "/20-slow", "#!/bin/sh\nexec tail -f /dev/null\n")
            try write(hooks + "/.ignored", "#!/bin/sh\necho never >> \(record)\n")
            try f.start()
            #expect(await f.waitForSynced(agentState: "NotReady", dnd: false) != nil)
            let dispatcher = try DaemonProcess(
                arguments: [
                    "hooks", "--directory", hooks, "--state-directory", f.directory, "--timeout-s", "2",
                ], environment: [:], outputPath: f.directory + "/hooks.out")
            defer { dispatcher.signal(SIGKILL) }
            await waitUntil("the dispatcher following the state file") { dispatcher.output.contains("following 1") }
            // A scripted run: each change must reach the state file on time while the slow
            // hook holds the dispatcher's worker (the daemon never waits for it).
            let script: [(String, String, Bool)] = [
                ("Ready", "Ready", false), ("DoNotDisturbOn", "Ready", true), ("NotReady", "NotReady", true),
                ("DoNotDisturbOff", "NotReady", false), ("Ready", "Ready", false),
            ]
            for (operation, state, dnd) in script {
                await f.simulator.engine.apply(operation)
                #expect(await f.waitForSynced(agentState: state, dnd: dnd) != nil, "\(operation) on time")
            }
            let expected = ["NotReady/off"] + script.map { "\($0.1)/\($0.2 ? "on" : "off")" }
            await waitUntil("every change recorded by the hook") {
                lines(record).map { $0.split(separator: " ")[2] }.last == expected.last.map { Substring($0) }
                    && lines(record).count >= script.count
            }
            let recorded = lines(record)
            #expect(recorded.allSatisfy { $0.hasPrefix("agent1 ") && $0.hasSuffix(" document") }, "\(recorded)")
            // In order and none missed: each line starts where the one before ended, and the
            // values the script went through appear in its order (a Mixed step between the
            // device's and the channels' notifications may show up too).
            let pairs = recorded.map { $0.split(separator: " ").map(String.init) }
            #expect(pairs.first?[1] == expected.first, "\(recorded)")
            for (before, after) in zip(pairs, pairs.dropFirst()) { #expect(before[2] == after[1], "\(recorded)") }
            let settled = pairs.map { $0[2] }.filter { !$0.hasPrefix("Mixed") }
            #expect(settled == Array(expected.dropFirst()), "\(recorded)")
            #expect(!recorded.contains("never"))
            await waitUntil("the slow hook's timeouts logged") {
                dispatcher.output.components(separatedBy: "hook 20-slow for agent1 ran past its timeout").count - 1
                    >= script.count
            }
        }
    }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
    }
}

/// The lines of `path` (none when it does not exist yet).
private func lines(_ path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}
