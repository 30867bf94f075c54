import AgentState
import Foundation
import GWSSimulator
import ScriptedHTTPServer
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
            let daemon = try f.start()
            let collector = StateFileCollector(path: f.statePath, directory: f.directory + "/versions")
            let collecting = Task { await collector.run() }
            #expect(await f.waitForSynced(agentState: "NotReady") != nil)
            for (operation, scope) in [
                ("DoNotDisturbOn", OperationScope.all), ("Ready", .all), ("AfterCallWork", .channel("voice")),
                ("DoNotDisturbOff", .channel("chat")), ("OutToLunch", .all),
            ] {
                await f.simulator.apply(operation, scope: scope)
                try await Task.sleep(for: .milliseconds(150))
            }
            await f.simulator.dropSessions()
            #expect(await f.waitForState { $0.connection.handshakes == 2 && $0.agent.synced } != nil)
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(10)) == 0)
            try await Task.sleep(for: .milliseconds(100))
            collecting.cancel()
            let versions = await collecting.value
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

/// Copies every distinct content of a file it polls into numbered files, until cancelled.
struct StateFileCollector {
    let path: String
    let directory: String

    /// Returns the paths of the copies, in the order seen.
    func run() async -> [String] {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var last: Data?
        var copies: [String] = []
        while !Task.isCancelled {
            if let data = FileManager.default.contents(atPath: path), data != last {
                last = data
                let copy = directory + "/\(copies.count).json"
                if FileManager.default.createFile(atPath: copy, contents: data) { copies.append(copy) }
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
        if let data = FileManager.default.contents(atPath: path), data != last {
            let copy = directory + "/\(copies.count).json"
            if FileManager.default.createFile(atPath: copy, contents: data) { copies.append(copy) }
        }
        return copies
    }
}
