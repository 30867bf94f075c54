import AgentState
import FileWatch
import Foundation
import GWSSimulator
import Locking
import ScriptedHTTPServer
import TestSupport
import Testing

/// The published contract: every state file the daemon writes, from start to stop, is
/// valid against `docs/state-file.schema.json` (checked by `scripts/validate-state-file.py`
/// with Debian's python3-jsonschema, which also checks the summary rules).
@Suite("The state file follows its documented schema")
struct StateFileSchemaTests {
    /// The repository root, from this file's path.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    @Test("Every version written, from connecting to stopped, validates against the JSON Schema")
    func everyVersionValidates() async throws {
        try await withDaemon { f in
            let collector = try StateFileCollector(path: f.statePath, directory: f.directory + "/versions")
            let daemon = try f.start()
            #expect(await f.waitForSynced(agentState: "NotReady") != nil)
            for (operation, scope) in [
                ("DoNotDisturbOn", OperationScope.all), ("Ready", .all), ("AfterCallWork", .channel("voice")),
                ("DoNotDisturbOff", .channel("chat")), ("OutToLunch", .all),
            ] {
                // Each change is written (a new seq) and collected before the next one.
                let before = f.state()?.seq ?? 0
                await f.simulator.engine.apply(operation, scope: scope)
                let written = await f.waitForState("\(operation) written") { $0.seq > before }
                await waitUntil("\(operation)'s version collected") { collector.hasSeen(seq: written?.seq ?? 0) }
            }
            await f.simulator.engine.dropSessions()
            #expect(await f.waitForState { $0.connection.handshakes == 2 && $0.agent.synced } != nil)
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit() == 0)
            let versions = collector.stop()
            let states = Set(
                versions.compactMap {
                    try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: $0)))
                }
                .compactMap { (($0 as? [String: Any])?["connection"] as? [String: Any])?["state"] as? String })
            #expect(states.isSuperset(of: ["connecting", "connected", "stopped"]), "saw \(states)")
            #expect(versions.count >= 8)

            let result = try await runValidator(versions, directory: f.directory)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("\(versions.count) of \(versions.count) state file(s) valid"))
        }
    }

    @Test("The validator rejects a document that breaks the schema or the summary rules")
    func validatorRejects() async throws {
        let directory = NSTemporaryDirectory() + "schema-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let valid = """
            {"schema":1,"generator":"gws-agentd 0.1.0","pid":1,"invocation_id":null,"heartbeat_s":10,"seq":1,\
            "changed_at":"2026-11-24T22:00:00.123Z","connection":{"state":"connected","connected":true,\
            "since":null,"client_id":"x","handshakes":1,"last_error":null},"agent":{"username":"a","state":"Ready",\
            "work_mode":null,"reason":null,"dnd":false,"synced":true,"devices":[],"channels":[{"name":"voice",\
            "state":"Ready","work_mode":null,"reason":null,"display_name":"Ready","dnd":false}],\
            "last_notification_at":null}}
            """
        let broken = [
            valid.replacingOccurrences(of: "\"schema\":1", with: "\"schema\":2"),
            valid.replacingOccurrences(of: "\"connected\":true", with: "\"connected\":false"),
            valid.replacingOccurrences(of: "\"state\":\"connected\"", with: "\"state\":\"online\""),
            valid.replacingOccurrences(
                of: "\"username\":\"a\",\"state\":\"Ready\"", with: "\"username\":\"a\",\"state\":\"Mixed\""),
            valid.replacingOccurrences(of: "\"dnd\":false,\"synced\"", with: "\"dnd\":true,\"synced\""),
            valid.replacingOccurrences(of: ",\"seq\":1", with: ""),
        ]
        var paths: [String] = []
        for (index, text) in ([valid] + broken).enumerated() {
            let path = directory + "/\(index).json"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let good = try await runValidator([paths[0]], directory: directory)
        #expect(good.status == 0, "\(good.output)")
        for path in paths.dropFirst() {
            let bad = try await runValidator([path], directory: directory)
            #expect(bad.status == 1, "accepted \(path): \(bad.output)")
        }
    }

    /// Runs the validator script on `files`.
    private func runValidator(_ files: [String], directory: String) async throws -> (status: Int32, output: String) {
        let outputPath = directory + "/validator-\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.repository + "/scripts/validate-state-file.py"] + files
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let status = try await offPool {
            process.waitUntilExit()
            return process.terminationStatus
        }
        return (status, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }
}

/// Copies every distinct content of a state file into numbered files as the daemon renames
/// each version into place (inotify on its directory), until stopped.
final class StateFileCollector: Sendable {
    private struct State {
        var last: [UInt8]?
        var copies: [String] = []
        var seqs: Set<Int> = []
        var stopping = false
    }

    let path: String
    let directory: String
    private let state = Locked(State())
    private let done = DispatchSemaphore(value: 0)

    /// Starts watching `path`; the copies go to `directory`.
    init(path: String, directory: String) throws {
        self.path = path
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let inotify = Inotify() else { throw CollectorError() }
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        guard inotify.add(parent, mask: UInt32(IN_MOVED_TO | IN_CLOSE_WRITE)) >= 0 else { throw CollectorError() }
        Thread { [self] in
            while !self.state.withLock({ $0.stopping }) {
                guard let events = inotify.read(timeout: 50) else { break }
                if events.contains(where: { $0.name == name }) { self.collect() }
            }
            self.collect()
            self.done.signal()
        }.start()
    }

    /// Copies the file when its content is new.
    private func collect() {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let bytes = Array(data)
        state.withLock { state in
            guard bytes != state.last else { return }
            state.last = bytes
            let copy = directory + "/\(state.copies.count).json"
            guard FileManager.default.createFile(atPath: copy, contents: data) else { return }
            state.copies.append(copy)
            if let document = try? StateDocument.decode(bytes) { state.seqs.insert(document.seq) }
        }
    }

    /// Whether the version with `seq` was collected.
    func hasSeen(seq: Int) -> Bool { state.withLock { $0.seqs.contains(seq) } }

    /// Stops watching (after a last look at the file); returns the copies' paths, in the order seen.
    func stop() -> [String] {
        state.withLock { $0.stopping = true }
        done.wait()
        return state.withLock { $0.copies }
    }
}

struct CollectorError: Error {}
