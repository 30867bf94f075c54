import Foundation
import Glibc
import ScriptedHTTPServer

/// A Faye Bayeux server (Debian's ruby-faye under thin) on 127.0.0.1 and a free port.
final class FayeServer: @unchecked Sendable {
    // Only the test that started it touches `process`.
    let port: Int
    private var process: Process?

    var url: String { "http://127.0.0.1:\(port)/faye" }

    private init(port: Int) {
        self.port = port
    }

    /// Starts a server on a free port without blocking the calling task.
    static func launch() async throws -> FayeServer {
        let server = FayeServer(port: try unusedLoopbackPort())
        try await server.restart()
        return server
    }

    /// Starts the server (again, after ``crash()``) without blocking the calling task.
    func restart() async throws {
        try await offPool { try self.start() }
    }

    /// Kills the server like a crash would, without blocking the calling task.
    func crash() async {
        _ = try? await offPool { self.kill() }
    }

    /// Starts thin with the bundled config.ru and waits until it accepts connections.
    func start() throws {
        let configFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Faye/config.ru").path
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/thin") else {
            throw FayeError("thin is not installed; `make test` installs ruby-faye and thin")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/thin")
        process.arguments = ["-R", configFile, "-a", "127.0.0.1", "-p", String(port), "start"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<300 {
            if Self.accepts(port: port) { return }
            usleep(20_000)
        }
        throw FayeError("Faye did not start on port \(port)")
    }

    /// Kills the server as a crash would, losing every session.
    func kill() {
        guard let process else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
        while Self.accepts(port: port) { usleep(10_000) }
    }

    deinit { kill() }

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
