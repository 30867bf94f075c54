import ControlSocket
import Foundation
import Glibc
import JSON

/// A misbehaving client of a control socket, for the tests of the server's limits: it
/// writes raw bytes (half lines, floods) and reads only when told to.
///
/// Ownership: the descriptor is opened in `init` and closed in `deinit` or ``close()``;
/// one test task uses it at a time, hence `@unchecked Sendable`.
final class RawClient: @unchecked Sendable {
    private var fd: Int32
    private var input: [UInt8] = []

    /// Connects to `path`, with a small receive buffer so that unread replies fill it soon.
    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var size: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Writes as much of `bytes` as the socket takes now; how many it took (0 when full,
    /// -1 when the server closed the connection).
    @discardableResult
    func write(_ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 { return errno == EAGAIN ? offset : -1 }
            offset += count
        }
        return offset
    }

    /// Writes a request line.
    @discardableResult
    func request(_ op: String, id: Int = 1, _ extra: String = "") -> Int {
        write(Array(#"{"v":1,"id":\#(id),"op":"\#(op)"\#(extra)}"#.utf8) + [0x0A])
    }

    /// Reads what has arrived; the complete lines, as JSON. `nil` once the server closed
    /// the connection and every line was read.
    func lines() -> [JSONValue]? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var closed = false
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                input += buffer[0..<count]
                continue
            }
            closed = count == 0 || errno != EAGAIN
            break
        }
        var parsed: [JSONValue] = []
        while let newline = input.firstIndex(of: 0x0A) {
            if let value = try? JSONParser().parse(Array(input[..<newline])) { parsed.append(value) }
            input.removeFirst(newline + 1)
        }
        return closed && parsed.isEmpty ? nil : parsed
    }
}
