import CUnixSocket
import Foundation
import Glibc
import JSON
import Locking

/// The daemon's control socket: an `AF_UNIX` stream socket serving JSON lines.
///
/// One thread of its own polls the listening socket, every client and a wake-up pipe, so
/// that nothing a client does (a huge line, a burst, never reading) can block the
/// daemon's session. Requests go to the handler on that thread, which must return quickly
/// (the daemon forwards them to its session); replies and events come back from any
/// thread through ``ControlConnection/send(_:)``, which only queues them.
///
/// Bounded by ``Limits``: line length (a longer line is answered with an error and the
/// connection closed), clients (one more is refused with an error line), and pending
/// output per client (a client that does not read is dropped, not waited for).
///
/// Ownership: the server thread alone owns the listening descriptor, every client
/// descriptor and the buffers; other threads only touch ``shared`` under its lock and
/// write one byte to the wake-up pipe. ``stop()`` ends the thread, which closes every
/// descriptor it owns and removes the socket file. That is why the class is
/// `@unchecked Sendable`.
public final class ControlServer: @unchecked Sendable {
    /// The bounds on what clients can make the server hold.
    public struct Limits: Sendable {
        /// The longest request line, newline excluded.
        public var maxLineBytes: Int
        /// Clients connected at once.
        public var maxClients: Int
        /// Output queued for one client; past it the client is dropped.
        public var maxPendingOutput: Int

        public init(maxLineBytes: Int = 64 * 1024, maxClients: Int = 128, maxPendingOutput: Int = 4 << 20) {
            self.maxLineBytes = maxLineBytes
            self.maxClients = maxClients
            self.maxPendingOutput = maxPendingOutput
        }
    }

    /// Called on the server thread for each request; must return quickly.
    public typealias Handler = @Sendable (ControlRequest, ControlConnection) -> Void
    /// Called on the server thread when a client is gone (closed, dropped, or the server stopped).
    public typealias DisconnectHandler = @Sendable (ControlConnection) -> Void

    /// What other threads hand to the server thread.
    private struct Shared {
        var outbox: [(client: Int, bytes: [UInt8], close: Bool)] = []
        var stopping = false
        var stopped = false
    }

    /// One connected client, owned by the server thread.
    private struct Client {
        let fd: Int32
        let connection: ControlConnection
        var input: [UInt8] = []
        var output: [UInt8] = []
        var written = 0
        /// Close once the output is written (after a fatal error reply).
        var closeAfterWrite = false
        var pending: Int { output.count - written }
    }

    public let path: String
    public let limits: Limits
    private let listener: Int32
    private let wake: (read: Int32, write: Int32)
    private let handler: Handler
    private let onDisconnect: DisconnectHandler
    private let shared = Locked(Shared())

    /// Creates the socket at `path` (mode `mode`, group `group` when given) and starts serving.
    /// A socket file left by a daemon that is gone is replaced; one that a live process
    /// answers on is not (``ControlSocketError/inUse(_:)``).
    public static func start(
        path: String, mode: mode_t = 0o660, group: gid_t? = nil, limits: Limits = Limits(),
        handler: @escaping Handler, onDisconnect: @escaping DisconnectHandler = { _ in }
    ) throws(ControlSocketError) -> ControlServer {
        let server = try ControlServer(
            path: path, mode: mode, group: group, limits: limits, handler: handler, onDisconnect: onDisconnect)
        let thread = Thread {
            // The name `top -H` and the journal's _COMM show (Thread.name does not reach the OS).
            gws_name_current_thread("control-socket")
            server.serve()
        }
        thread.start()
        return server
    }

    private init(
        path: String, mode: mode_t, group: gid_t?, limits: Limits, handler: @escaping Handler,
        onDisconnect: @escaping DisconnectHandler
    ) throws(ControlSocketError) {
        self.path = path
        self.limits = limits
        self.handler = handler
        self.onDisconnect = onDisconnect
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw .pathTooLong(path)
        }
        if ControlClient.isServed(path) { throw .inUse(path) }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path) }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno) }
        var address = ControlClient.address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .system("bind \(path)", code)
        }
        // The mode and group decide who may connect (the units make it their operators' group).
        if let group, chown(path, uid_t.max, group) != 0 {
            let code = errno
            close(fd)
            unlink(path)
            throw .system("chown \(path)", code)
        }
        guard chmod(path, mode) == 0, listen(fd, 64) == 0, Self.setNonBlocking(fd) else {
            let code = errno
            close(fd)
            unlink(path)
            throw .system("listen on \(path)", code)
        }
        var pipeEnds: [Int32] = [0, 0]
        guard gws_pipe_nonblocking(&pipeEnds) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw .system("pipe", code)
        }
        listener = fd
        wake = (pipeEnds[0], pipeEnds[1])
    }

    /// Stops serving: every client is closed, the socket file removed. Waits (at most a
    /// few seconds) for the server thread to end.
    public func stop() {
        let already = shared.withLock { shared -> Bool in
            defer { shared.stopping = true }
            return shared.stopping
        }
        guard !already else { return }
        wakeUp()
        let deadline = ContinuousClock.now + .seconds(5)
        while !shared.withLock({ $0.stopped }) && ContinuousClock.now < deadline { usleep(1_000) }
    }

    /// Queues `bytes` for `client`, and closes it afterwards when `close`.
    func enqueue(_ bytes: [UInt8], to client: Int, close: Bool = false) {
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.stopping else { return false }
            shared.outbox.append((client, bytes, close))
            return true
        }
        if accepted { wakeUp() }
    }

    private func wakeUp() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    // MARK: The server thread

    private func serve() {
        var clients: [Int: Client] = [:]
        var nextID = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        defer {
            for client in clients.values { drop(client, from: &clients) }
            close(listener)
            close(wake.read)
            close(wake.write)
            unlink(path)
            shared.withLock { $0.stopped = true }
        }
        while true {
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0))
            let order = clients.keys.sorted()
            for id in order {
                guard let client = clients[id] else { continue }
                var events = Int16(POLLIN)
                if client.pending > 0 { events |= Int16(POLLOUT) }
                if client.closeAfterWrite { events = Int16(POLLOUT) }
                fds.append(pollfd(fd: client.fd, events: events, revents: 0))
            }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { return }
            if fds[0].revents != 0 {
                while read(wake.read, &buffer, buffer.count) > 0 {}
                let (outbox, stopping) = shared.withLock { shared in
                    defer { shared.outbox = [] }
                    return (shared.outbox, shared.stopping)
                }
                if stopping { return }
                for (id, bytes, closeAfter) in outbox {
                    guard var client = clients[id] else { continue }
                    client.output += bytes
                    if closeAfter { client.closeAfterWrite = true }
                    if client.pending > limits.maxPendingOutput {
                        // A client that does not read is dropped, never waited for.
                        drop(client, from: &clients)
                        continue
                    }
                    clients[id] = client
                }
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                acceptClients(&clients, nextID: &nextID)
            }
            for (index, id) in order.enumerated() {
                let revents = fds[index + 2].revents
                guard revents != 0, var client = clients[id] else { continue }
                if revents & Int16(POLLOUT) != 0 {
                    guard flush(&client) else {
                        drop(client, from: &clients)
                        continue
                    }
                    if client.closeAfterWrite && client.pending == 0 {
                        drop(client, from: &clients)
                        continue
                    }
                }
                if !client.closeAfterWrite && revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    let count = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
                    if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
                        drop(client, from: &clients)
                        continue
                    }
                    if count > 0 {
                        client.input += buffer[0..<count]
                        readLines(&client)
                    }
                }
                clients[id] = client
            }
        }
    }

    private func acceptClients(_ clients: inout [Int: Client], nextID: inout Int) {
        while true {
            let fd = gws_accept_nonblocking(listener)
            guard fd >= 0 else { return }
            var pid: pid_t = 0
            var uid: uid_t = 0
            var gid: gid_t = 0
            let peer =
                gws_peer_credentials(fd, &pid, &uid, &gid) == 0
                ? PeerCredentials(pid: pid, uid: uid, gid: gid)
                : PeerCredentials(pid: 0, uid: uid_t.max, gid: gid_t.max)
            nextID += 1
            var client = Client(fd: fd, connection: ControlConnection(id: nextID, peer: peer, server: self))
            if clients.count >= limits.maxClients {
                client.output = ControlProtocol.reply(
                    ControlError(.tooManyClients, "\(limits.maxClients) clients are connected already"))
                _ = flush(&client)
                close(fd)
                continue
            }
            clients[nextID] = client
        }
    }

    /// Hands every complete line to the handler; a line past the limit ends the client.
    private func readLines(_ client: inout Client) {
        var start = 0
        while let newline = client.input[start...].firstIndex(of: 0x0A) {
            let line = client.input[start..<newline]
            start = newline + 1
            if line.count > limits.maxLineBytes {
                refuseLongLine(&client)
                return
            }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            switch ControlProtocol.request(from: line) {
            case .success(let request): handler(request, client.connection)
            case .failure(let error): client.output += ControlProtocol.reply(error)
            }
        }
        client.input.removeFirst(start)
        if client.input.count > limits.maxLineBytes { refuseLongLine(&client) }
    }

    private func refuseLongLine(_ client: inout Client) {
        client.input = []
        client.output += ControlProtocol.reply(
            ControlError(.lineTooLong, "a request line may hold at most \(limits.maxLineBytes) bytes"))
        client.closeAfterWrite = true
    }

    /// Writes what it can; false when the client is gone.
    private func flush(_ client: inout Client) -> Bool {
        while client.pending > 0 {
            let count = client.output.withUnsafeBytes { raw in
                send(client.fd, raw.baseAddress.map { $0 + client.written }, client.pending, Int32(MSG_NOSIGNAL))
            }
            if count < 0 { return errno == EAGAIN || errno == EINTR }
            client.written += count
        }
        client.output = []
        client.written = 0
        return true
    }

    private func drop(_ client: Client, from clients: inout [Int: Client]) {
        close(client.fd)
        clients[client.connection.id] = nil
        onDisconnect(client.connection)
    }

    private static func setNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0
    }
}

/// One client of the control socket, as the daemon sees it: who it is, and where its
/// replies go. Sending from any thread only queues; nothing blocks.
public struct ControlConnection: Sendable, Hashable {
    /// Unique for the life of the server.
    public let id: Int
    /// The connecting process, from `SO_PEERCRED`.
    public let peer: PeerCredentials
    private let server: ControlServer

    init(id: Int, peer: PeerCredentials, server: ControlServer) {
        self.id = id
        self.peer = peer
        self.server = server
    }

    /// Queues a line (a reply or an event) for the client.
    public func send(_ line: [UInt8]) { server.enqueue(line, to: id) }

    /// Queues a last line, then closes the connection.
    public func finish(with line: [UInt8]) { server.enqueue(line, to: id, close: true) }

    public static func == (lhs: ControlConnection, rhs: ControlConnection) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// Who is on the other end of a connection (`SO_PEERCRED`).
public struct PeerCredentials: Sendable, Equatable {
    public var pid: pid_t
    public var uid: uid_t
    public var gid: gid_t

    public init(pid: pid_t, uid: uid_t, gid: gid_t) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// Why the control socket could not be served or reached.
public enum ControlSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A live process already answers on this socket (another daemon for the same state file).
    case inUse(String)
    /// Something other than a socket is at the path.
    case notASocket(String)
    /// Longer than an `AF_UNIX` address allows (107 bytes).
    case pathTooLong(String)
    /// No daemon answers on the socket.
    case notRunning(String)
    /// The socket exists but this user may not connect to it.
    case permissionDenied(String)
    /// The daemon did not answer in time.
    case timeout
    /// The connection ended before the answer was complete.
    case closed
    /// A system call failed.
    case system(String, Int32)

    public var description: String {
        switch self {
        case .inUse(let path): return "another gws-agentd already serves \(path)"
        case .notASocket(let path): return "\(path) exists and is not a socket"
        case .pathTooLong(let path): return "\(path) is too long for a socket address"
        case .notRunning(let path): return "no daemon answers on \(path)"
        case .permissionDenied(let path):
            return "permission denied on \(path) (the socket's group may use it; see docs/control-socket.md)"
        case .timeout: return "the daemon did not answer in time"
        case .closed: return "the daemon closed the connection"
        case .system(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        }
    }
}
