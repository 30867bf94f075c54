import Foundation
import ScriptedHTTPServer
import TestSupport
import Testing

/// The `gws-agentd` binary under test, run as a child process with its output in a file.
final class DaemonProcess: @unchecked Sendable {
    // `process` is configured before launch and then only queried (pid, status), which
    // Foundation's Process allows from any thread.
    let process = Process()
    let outputPath: String

    /// The daemon binary next to the test bundle (or `$GWS_AGENTD_BINARY`).
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["GWS_AGENTD_BINARY"] { return path }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("gws-agentd").path
    }

    init(arguments: [String], environment: [String: String], outputPath: String) throws {
        self.outputPath = outputPath
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        // Only what the test gives: no inherited NOTIFY_SOCKET, JOURNAL_STREAM or proxies.
        process.environment = ["PATH": "/usr/bin:/bin", "SWIFT_BACKTRACE": "enable=no"].merging(environment) { _, new in
            new
        }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
    }

    var pid: Int32 { process.processIdentifier }

    /// Everything the daemon printed so far.
    var output: String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// The names of the daemon's threads, from `/proc/PID/task/*/comm`.
    var threadNames: [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { task in
            (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Waits for the process to exit; returns its status (`nil`, with an issue naming
    /// `what`, when it does not exit).
    func waitForExit(
        _ what: String = "the daemon to exit", sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Int32? {
        let process = self.process
        return await waitFor(what, diagnosis: "output: \(self.output.suffix(600))", sourceLocation: sourceLocation) {
            process.isRunning ? nil : process.terminationStatus
        }
    }

    /// Kills the process if it still runs (end of a test, whatever happened).
    func terminate() async {
        guard process.isRunning else { return }
        signal(SIGKILL)
        _ = await waitForExit("the killed daemon to exit")
    }
}
