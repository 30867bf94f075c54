import Foundation
import Glibc
import JSON

/// A client of the daemon's control socket, for the operator commands: connect, send a
/// request, read reply lines until the caller has what it wants or the deadline passes.
///
/// Blocking calls with deadlines, meant for a command-line process; ``exchange(_:timeout:until:)``
/// runs them on a thread of its own so that an async caller does not block its executor.
///
/// Ownership: the descriptor is opened in `connect` and closed in `deinit` (or ``close()``);
/// one thread uses a client at a time, hence `@unchecked Sendable`.
public final class ControlClient: @unchecked Sendable {
    private var fd: Int32
    private var input: [UInt8] = []
    public let path: String

    /// Connects to the socket at `path`.
    public init(path: String) throws(ControlSocketError) {
        self.path = path
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { throw .pathTooLong(path) }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno) }
        var address = Self.address(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            fd = -1
            switch code {
            case EACCES, EPERM: throw .permissionDenied(path)
            case ENOENT, ECONNREFUSED: throw .notRunning(path)
            default: throw .system("connect \(path)", code)
            }
        }
    }

    deinit { close() }

    /// Closes the connection (again: nothing).
    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Whether a live process answers on the socket at `path` (a leftover file does not).
    public static func isServed(_ path: String) -> Bool {
        (try? ControlClient(path: path)) != nil
    }

    /// Sends one request line.
    public func send(_ request: ControlRequest, deadline: ContinuousClock.Instant) throws(ControlSocketError) {
        let bytes = request.line
        var offset = 0
        while offset < bytes.count {
            try wait(for: Int16(POLLOUT), until: deadline)
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .closed
            }
            offset += count
        }
    }

    /// Reads the next line (a reply or an event) as JSON.
    public func readLine(deadline: ContinuousClock.Instant) throws(ControlSocketError) -> JSONValue {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let newline = input.firstIndex(of: 0x0A) {
                let line = Array(input[..<newline])
                input.removeFirst(newline + 1)
                guard let value = try? JSONParser().parse(line) else { continue }
                return value
            }
            try wait(for: Int16(POLLIN), until: deadline)
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { throw .closed }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .closed
            }
            input += buffer[0..<count]
            // A daemon does not send lines this long; stop rather than grow without bound.
            if input.count > 64 << 20 { throw .closed }
        }
    }

    private func wait(for events: Int16, until deadline: ContinuousClock.Instant) throws(ControlSocketError) {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw .timeout }
            let milliseconds = Int32(
                clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            var poller = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .system("poll", errno) }
        }
    }

    /// Connects to `path`, sends `request`, and reads lines until `until` says done (it
    /// returns a value) or `timeout` passes. Runs on a thread of its own.
    public static func exchange<Value: Sendable>(
        path: String, _ request: ControlRequest, timeout: Duration,
        until: @escaping @Sendable (JSONValue) -> Value?
    ) async -> Result<Value, ControlSocketError> {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                let deadline = ContinuousClock.now + timeout
                do throws(ControlSocketError) {
                    let client = try ControlClient(path: path)
                    try client.send(request, deadline: deadline)
                    while true {
                        let line = try client.readLine(deadline: deadline)
                        if let value = until(line) {
                            continuation.resume(returning: .success(value))
                            return
                        }
                    }
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.start()
        }
    }

    static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        return address
    }
}
