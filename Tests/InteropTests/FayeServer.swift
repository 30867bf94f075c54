import Foundation
import Glibc
import ScriptedHTTPServer
import TestSupport
import Testing

/// A Faye Bayeux server (Debian's ruby-faye under thin) on 127.0.0.1 and a free port.
final class FayeServer: @unchecked Sendable {
    // Only the test that started it touches `process`.
    let port: Int
    private var process: Process?

    var url: String { "http://127.0.0.1:\(port)/faye" }

    private init(port: Int) {
        self.port = port
    }

    /// Starts a server on a free port (another, should something take the port first).
    static func launch() async throws -> FayeServer {
        var failure: (any Error)?
        for _ in 0..<3 {
            let server = FayeServer(port: try unusedLoopbackPort())
            do {
                try await server.restart()
                return server
            } catch {
                failure = error
            }
        }
        throw failure ?? FayeError("thin did not start")
    }

    /// Starts thin with the bundled config.ru (again, after ``crash()``) and waits until it
    /// accepts connections: readiness, not a timer. thin exiting first fails at once, with
    /// what it printed.
    func restart() async throws {
        let configFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Faye/config.ru").path
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/thin") else {
            throw FayeError("thin is not installed; `make test` installs ruby-faye and thin")
        }
        let log = NSTemporaryDirectory() + "thin-\(port)-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/thin")
        process.arguments = ["-R", configFile, "-a", "127.0.0.1", "-p", String(port), "start"]
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        try await offPool { try process.run() }
        self.process = process
        let port = self.port
        await waitUntil("thin accepting connections on port \(port)") {
            !process.isRunning || Self.accepts(port: port)
        }
        guard process.isRunning, Self.accepts(port: port) else {
            let printed = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw FayeError("thin did not start on port \(port): \(printed)")
        }
    }

    /// Kills the server like a crash would, losing every session, and waits until its port
    /// refuses connections.
    func crash() async {
        guard let process else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        _ = try? await offPool { process.waitUntilExit() }
        self.process = nil
        let port = self.port
        await waitUntil("port \(port) closed after the crash") { !Self.accepts(port: port) }
    }

    deinit {
        if let process {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

struct FayeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
