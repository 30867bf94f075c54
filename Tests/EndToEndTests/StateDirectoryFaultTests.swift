import AgentState
import Foundation
import GWSSimulator
import ScriptedHTTPServer
import TestSupport
import Testing

/// The state file's directory misbehaving under a running daemon: missing, full, read-only.
/// In each case the daemon keeps running, says why in `STATUS=` and the log, keeps the last
/// good file intact, and writes the current state as soon as it can again.
@Suite("The state directory missing, full or read-only", .serialized)
struct StateDirectoryFaultTests {
    @Test("A missing directory: reported, and written once it appears")
    func missingDirectory() async throws {
        try await withDaemon { f in
            let directory = f.directory + "/later"
            try f.writeConfig(stateFile: directory + "/state.json")
            let daemon = try f.start()
            await f.notify.wait(for: "READY=1") { $0.contains { $0.hasPrefix("READY=1") } }
            await f.notify.wait(for: "state file not written") { $0.contains { $0.contains("state file not written") } }
            #expect(daemon.output.contains("cannot write the state file"))
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            let written = await waitForFile(directory + "/state.json") { $0.connection.connected && $0.agent.synced }
            #expect(written != nil)
            #expect(daemon.output.contains("state file written again"))
            #expect(daemon.process.isRunning)
        }
    }

    @Test(
        "A full, then read-only, tmpfs: nothing torn, nothing lost, written again when it can",
        .enabled(if: TmpfsMount.available, "needs mount(8) with the right to mount a tmpfs"))
    func fullAndReadOnly() async throws {
        try await withDaemon { f in
            let mount = try await TmpfsMount(at: f.directory + "/run", sizeKB: 64)
            do {
                try await fullThenReadOnly(f, mount)
            } catch {
                await mount.unmount()
                throw error
            }
            await mount.unmount()
        }
    }

    /// One daemon through a full, then a read-only, state directory.
    private func fullThenReadOnly(_ f: DaemonFixture, _ mount: TmpfsMount) async throws {
        try f.writeConfig(stateFile: mount.path + "/state.json")
        let daemon = try f.start()
        let statePath = mount.path + "/state.json"
        #expect(await waitForFile(statePath) { $0.agent.synced && $0.agent.state == "NotReady" } != nil)

        // Full: the change cannot be written; the old file stays whole.
        try await mount.fill()
        await f.simulator.engine.apply("Ready")
        await f.notify.wait(for: "state file not written") { $0.contains { $0.contains("state file not written") } }
        let stale = try StateDocument.decode(Array(try Data(contentsOf: URL(fileURLWithPath: statePath))))
        #expect(stale.agent.state == "NotReady")
        try mount.emptyFiller()
        #expect(await waitForFile(statePath) { $0.agent.state == "Ready" } != nil)

        // Read-only: the same, then remounted read-write. The failed write is reported
        // (a STATUS= saying so after the recovery above) before the file is checked.
        await f.notify.wait(for: "STATUS= back to normal") {
            $0.last { $0.hasPrefix("STATUS=") }.map { !$0.contains("not written") } ?? false
        }
        let reported = f.notify.assignments.count
        try await mount.remount(readOnly: true)
        await f.simulator.engine.apply("DoNotDisturbOn")
        await f.notify.wait(for: "the read-only failure reported") {
            $0.dropFirst(reported).contains { $0.hasPrefix("STATUS=") && $0.contains("state file not written") }
        }
        #expect(
            try StateDocument.decode(Array(try Data(contentsOf: URL(fileURLWithPath: statePath)))).agent.dnd == false)
        try await mount.remount(readOnly: false)
        #expect(await waitForFile(statePath) { $0.agent.dnd == true && $0.agent.state == "Ready" } != nil)
        await f.notify.wait(for: "STATUS=") {
            $0.last { $0.hasPrefix("STATUS=") }.map { !$0.contains("not written") } ?? false
        }
        #expect(daemon.process.isRunning)
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    /// Waits until the document at `path` satisfies `condition`.
    private func waitForFile(
        _ path: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: @escaping (StateDocument) -> Bool
    ) async -> StateDocument? {
        await waitFor("\(path) to satisfy the test's condition", sourceLocation: sourceLocation) {
            FileManager.default.contents(atPath: path).flatMap { try? StateDocument.decode(Array($0)) }
                .flatMap { condition($0) ? $0 : nil }
        }
    }
}

/// A small tmpfs mounted for one test (needs root, or the right to mount).
struct TmpfsMount {
    let path: String
    var filler: String { path + "/.filler" }

    /// Whether this process may mount a tmpfs (checked once, by trying).
    static let available: Bool = {
        var template = Array("/tmp/gws-mount-probe.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { return false }
        let path = String(cString: made)
        defer { rmdir(path) }
        guard run(["/bin/mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", path]) == 0 else { return false }
        return run(["/bin/umount", path]) == 0
    }()

    init(at path: String, sizeKB: Int) async throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard
            try await offPool({ Self.run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(sizeKB)k", "tmpfs", path]) }) == 0
        else {
            throw POSIXError(.EPERM)
        }
    }

    /// Fills the file system to the last byte.
    func fill() async throws {
        let filler = self.filler
        _ = try await offPool { Self.run(["/bin/dd", "if=/dev/zero", "of=\(filler)", "bs=4k", "status=none"]) }
    }

    /// Frees the space again (truncating, so that a read-only remount cannot stop it later).
    func emptyFiller() throws {
        guard truncate(filler, 0) == 0 else { throw POSIXError(.EIO) }
    }

    func remount(readOnly: Bool) async throws {
        let path = self.path
        let status = try await offPool { Self.run(["/bin/mount", "-o", readOnly ? "remount,ro" : "remount,rw", path]) }
        guard status == 0 else { throw POSIXError(.EIO) }
    }

    func unmount() async {
        let path = self.path
        _ = try? await offPool { Self.run(["/bin/umount", "-l", path]) }
    }

    /// Runs a command to completion; its exit status.
    static func run(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
