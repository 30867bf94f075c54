import AgentState
import Foundation
import GWSSimulator
import Testing

/// The daemon's control socket, end to end: where it is, who may use it, `reload` as the
/// units' `ExecReload=`, and one daemon per state file.
@Suite("End to end: the control socket")
struct ControlSocketTests {
    @Test("The socket sits beside the state file, mode 0660, and goes away with the daemon")
    func socketFile() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let path = f.directory + "/control.sock"
            var info = stat()
            #expect(lstat(path, &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
            #expect(info.st_mode & 0o777 == 0o660)
            f.daemon?.signal(SIGTERM)
            #expect(await f.daemon?.waitForExit() == 0)
            #expect(lstat(path, &info) != 0, "the socket file outlived the daemon")
        }
    }

    @Test("reload waits for the outcome: 0 when the new configuration is in effect, 1 and the reason when refused")
    func reloadThroughSocket() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let socket = ["reload", "--socket", f.directory + "/control.sock"]
            // In effect when reload returns: the new heartbeat is already in the state file.
            try f.writeConfig(heartbeat: 7)
            let ok = try await runCommand(socket, directory: f.directory)
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout.contains("reloaded"))
            #expect(f.state()?.heartbeatSeconds == 7, "the reload had not taken effect when reload returned")
            // Refused: exit 1, the reason, and the daemon keeps running on the old configuration.
            try Data("server:\n  url: [not a url\n".utf8).write(to: URL(fileURLWithPath: f.configPath))
            let refused = try await runCommand(socket, directory: f.directory)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("reload refused"))
            #expect(f.daemon?.process.isRunning == true)
            await f.simulator.engine.apply("Ready")
            #expect(await f.waitForSynced(agentState: "Ready") != nil)
            // The daemon logged who asked, with the caller's uid and pid.
            #expect(f.daemon?.output.contains("\"peer.uid\":\"\(getuid())\"") == true)
        }
    }

    @Test("reload with no daemon answering exits 69 and says so")
    func reloadWithoutDaemon() async throws {
        try await withDaemon { f in
            let result = try await runCommand(
                ["reload", "--socket", f.directory + "/control.sock", "--timeout", "2"], directory: f.directory)
            #expect(result.status == 69)
            #expect(result.stderr.contains("no daemon answers"))
        }
    }

    @Test("A second daemon for the same state file stops at once, naming the first one's pid")
    func oneDaemonPerStateFile() async throws {
        try await withDaemon { f in
            let first = try f.start()
            #expect(await f.waitForSynced() != nil)
            let second = try DaemonProcess(
                arguments: ["run", "--config", f.configPath], environment: [:], outputPath: f.directory + "/second.log")
            #expect(await second.waitForExit() == 78)
            #expect(second.output.contains("another gws-agentd (pid \(first.pid)) already runs"))
            await second.terminate()
            #expect(first.process.isRunning)
            #expect(f.state()?.pid == Int(first.pid))
        }
    }

    @Test("Bad lines get an error reply with a reason; a 10 MB line is refused; the daemon carries on")
    func hostileClients() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let path = f.directory + "/control.sock"
            #expect(try SocketPeer(path).exchange("not json\n").contains("\"code\":\"bad_request\""))
            #expect(try SocketPeer(path).exchange("{\"op\":\"launch\"}\n").contains("\"code\":\"unknown_operation\""))
            #expect(try SocketPeer(path).exchange("{\"v\":9,\"op\":\"ping\"}\n").contains("unsupported_version"))
            let huge = try SocketPeer(path).exchange(String(repeating: "x", count: 10 << 20) + "\n")
            #expect(huge.contains("line_too_long"))
            // 100 clients that never send anything, and a ping still gets its answer.
            let idle = try (0..<100).map { _ in try SocketPeer(path) }
            #expect(try SocketPeer(path).exchange("{\"id\":7,\"op\":\"ping\"}\n").contains("\"pong\":true"))
            _ = idle
            await f.simulator.engine.apply("Ready")
            #expect(await f.waitForSynced(agentState: "Ready") != nil)
        }
    }
}

/// A raw client of the control socket, for tests that send what a real client would not.
final class SocketPeer {
    let fd: Int32

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// The next line the daemon sends (within the 10 s receive timeout).
    func readLine() throws -> String {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            if byte == 0x0A { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// Sends `text` (what fits before the daemon closes) and returns the first line back.
    func exchange(_ text: String) throws -> String {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { break }
            offset += sent
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !reply.contains(0x0A) {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            reply += buffer[0..<count]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
