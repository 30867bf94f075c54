import Foundation
import GWSSimulator
import JSON
import ScriptedHTTPServer
import TestSupport
import Testing

/// A third-party Bayeux client, Debian's Faye (Ruby), talking to gws-sim: handshake,
/// subscribe, receive, and a re-handshake with re-subscription after the simulator drops
/// every session. It shows the simulator speaks CometD as others understand it, not only
/// as our client does.
@Suite("Faye's Ruby client against gws-sim")
struct FayeClientTests {
    @Test("Handshake, subscribe, receive, and re-handshake after a session drop")
    func fayeClient() async throws {
        // Faye is a plain Bayeux client: it cannot fetch GWS's CSRF token, so this simulator
        // relaxes the check on CometD (gws-sim --no-csrf-on-cometd).
        let simulator = GWSSimulator(
            configuration: SimulatorConfiguration(
                cometd: CometDSettings(timeout: .seconds(1), maxInterval: .seconds(10)), csrfOnCometD: false))
        let url = try await simulator.start()
        let client = try await FayeClient.launch(
            url: url + GWSSimulator.notificationsPath, channels: ["/v2/me/devices"])
        await client.wait(for: "Faye subscribed") { $0.contains { $0["event"] == "subscribed" } }
        await simulator.engine.apply("Ready")
        await client.wait(for: "Ready delivered to Faye") { Self.states(in: $0) == ["Ready"] }

        await simulator.engine.dropSessions()
        // Faye learns of the drop from 402::session_unknown, handshakes again and re-subscribes
        // (its forced re-subscription reports to no callback: the simulator's log shows it).
        await client.wait(for: "Faye's second handshake") {
            $0.contains { $0["event"] == "handshake" && $0["count"] == "2" }
        }
        // A subscribe Faye sent with its old client id is answered 402 inside an HTTP 200:
        // wait for its new session to hold the subscription, or NotReady could be published
        // before anyone is subscribed.
        await waitUntil("Faye subscribed again after the drop") {
            await simulator.engine.bayeuxSessions(subscribedTo: "/v2/me/devices") == 1
        }
        await simulator.engine.apply("NotReady")
        await client.wait(for: "NotReady delivered to Faye") { Self.states(in: $0) == ["Ready", "NotReady"] }

        let handshakes = await simulator.engine.requests.filter {
            $0.channels.contains("/meta/handshake")
        }
        #expect(handshakes.count >= 2)
        #expect(
            await simulator.engine.requests.filter { $0.path == GWSSimulator.notificationsPath }
                .allSatisfy { $0.headers.contains("authorization") })
        await client.stop()
        await simulator.stop()
    }

    /// The device states the client received, in order.
    static func states(in lines: [[String: String]]) -> [String] {
        lines.filter { $0["event"] == "message" }.compactMap { $0["state"] }
    }
}

/// `ruby Faye/client.rb`, with its JSON-lines output collected from a file.
final class FayeClient: @unchecked Sendable {
    // `process` and `outputPath` are set once in `launch`; the test alone uses them.
    private let process: Process
    private let outputPath: String

    private init(process: Process, outputPath: String) {
        self.process = process
        self.outputPath = outputPath
    }

    static func launch(url: String, channels: [String]) async throws -> FayeClient {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Faye/client.rb"
        ).path
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ruby") else {
            throw FayeClientError("ruby is not installed; `make test` installs ruby-faye")
        }
        let outputPath = NSTemporaryDirectory() + "faye-client-\(UUID().uuidString).jsonl"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ruby")
        // agent1:secret, the simulator's default agent.
        process.arguments = [script, url, "Basic YWdlbnQxOnNlY3JldA=="] + channels
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        try await offPool { try process.run() }
        return FayeClient(process: process, outputPath: outputPath)
    }

    /// The lines printed so far, flattened: `data.devices[0].userState.state` becomes `state`.
    func lines() -> [[String: String]] {
        guard let text = try? String(contentsOfFile: outputPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> [String: String]? in
            guard let value = try? JSONParser().parse(String(line)), let object = value.objectValue else { return nil }
            var flat: [String: String] = [:]
            for (key, member) in object.members {
                if let string = member.stringValue { flat[key] = string }
                if case .int(let number) = member { flat[key] = String(number) }
            }
            if let state = value["data"]?["devices"]?.arrayValue?.first?["userState"]?["state"]?.stringValue {
                flat["state"] = state
            }
            return flat
        }
    }

    /// Waits until the output satisfies `condition`; a failed wait shows the output.
    func wait(
        for what: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: @escaping ([[String: String]]) -> Bool
    ) async {
        await waitUntil(what, diagnosis: "Faye client output: \(self.lines())", sourceLocation: sourceLocation) {
            condition(self.lines())
        }
    }

    /// Stops the client: SIGTERM (it disconnects), and SIGKILL if it has not exited once
    /// the test deadline passes.
    func stop() async {
        let process = self.process
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        await waitUntil("the Faye client exiting") { !process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = try? await offPool { process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: outputPath)
    }
}

struct FayeClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
