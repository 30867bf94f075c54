import Foundation
import ScriptedHTTPServer
import TestSupport
import Testing

/// The result of running the `gws-agentd` binary once.
struct CommandResult {
    var status: Int32?
    var stdout: String
    var stderr: String
}

/// Runs `gws-agentd ARGUMENTS` to completion (killed, with an issue, past the test deadline); as user and group
/// `asUser` (through setpriv, without supplementary groups) when given.
func runCommand(
    _ arguments: [String], environment: [String: String] = [:], directory: String,
    asUser: UInt32? = nil
) async throws -> CommandResult {
    let id = UUID().uuidString
    let out = directory + "/\(id).out"
    let err = directory + "/\(id).err"
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    let process = Process()
    if let asUser {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments =
            ["--reuid=\(asUser)", "--regid=\(asUser)", "--clear-groups", DaemonProcess.binary] + arguments
    } else {
        process.executableURL = URL(fileURLWithPath: DaemonProcess.binary)
        process.arguments = arguments
    }
    process.environment = ["PATH": "/usr/bin:/bin", "SWIFT_BACKTRACE": "enable=no"].merging(environment) { _, new in new
    }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // A command that does not end within the test deadline fails the test and is killed.
    await waitUntil("gws-agentd \(arguments.joined(separator: " ")) to exit") { !process.isRunning }
    let status: Int32? = try await offPool {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }
    return CommandResult(
        status: status, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
}
