import CUnixSocket
import Foundation
import Glibc
import JSON
import Locking

/// The daemon's control socket: an `AF_UNIX` stream socket serving JSON lines.
///
/// One thread of its own polls the listening socket, every client and a wake-up pipe, so
/// that nothing a client does (a huge line, a burst, never reading) can block the
/// daemon's agents. Requests go to the handler on that thread, which must return quickly
/// (the daemon forwards them to its agents); replies and events come back from any thread
/// through ``ControlConnection/send(_:)``, which only queues them.
///
/// Every byte a client can make the server hold is bounded by ``Limits``: a line's length;
/// the output queued for it (error replies included), past which it is dropped; requests
/// are not read while replies wait to be written, and a few at a time; a client that sends
/// nothing, leaves a line unfinished or stops reading its replies for too long is dropped,
/// each with its reason. A few connections beyond `maxClients` are kept for `reload` and
/// `ping`, so that `systemctl reload` works with every slot taken.
///
/// Ownership: the server thread alone owns the listening descriptor, every client
/// descriptor and the buffers; other threads only touch ``shared`` under its lock and
/// write one byte to the wake-up pipe. ``stop()`` ends the thread, which closes every
/// descriptor it owns and removes the socket file. That is why the
/// class is `@unchecked Sendable`.
public final class ControlServer: @unchecked Sendable {
    /// Called on the server thread for each request; must return quickly.
    public typealias Handler = @Sendable (ControlRequest, ControlConnection) -> Void
    /// Called on the server thread when a client is gone (closed, dropped with the reason,
    /// or the server stopped).
    public typealias DisconnectHandler = @Sendable (ControlConnection, DropReason?) -> Void

    /// What other threads hand to the server thread.
    private enum Mail {
        case send(client: Int, bytes: [UInt8], close: Bool)
        /// Something the daemon does for the client (a request in flight, a subscription)
        /// starts (`+1`) or ends (`-1`): a client with any is not idle.
        case activity(client: Int, delta: Int)
    }

    private struct Shared {
        var outbox: [Mail] = []
        var stopping = false
        var stopped = false
    }

    /// One connected client, owned by the server thread.
    struct Client {
        let fd: Int32
        let connection: ControlConnection
        var input: [UInt8] = []
        var output: [UInt8] = []
        var written = 0
        /// Close once the output is written (after a fatal error reply).
        var closeAfterWrite = false
        /// Accepted beyond `maxClients`: only `reload` and `ping`.
        var reserved = false
        /// Requests in flight and subscriptions the daemon holds for it.
        var activity = 0
        /// When it last sent a complete request (or connected).
        var lastRequest: ContinuousClock.Instant
        /// Since when an unfinished line waits in `input`.
        var partialSince: ContinuousClock.Instant?
        /// When its output last shrank (or became pending).
        var lastOutputProgress: ContinuousClock.Instant
        var pending: Int { output.count - written }
    }

    public let path: String
    public let limits: Limits
    private let listener: Int32
    private let wake: (read: Int32, write: Int32)
    private let handler: Handler
    private let onDisconnect: DisconnectHandler
    private let shared = Locked(Shared())

    /// Creates the socket at `path` and starts serving. The socket is bound, given its
    /// group (when one is named) and `mode`, and only then listens: nobody can connect before
    /// its permissions are final. A socket file left by a daemon that is gone is replaced;
    /// one that a live process answers on is not (``ControlSocketError/inUse(_:)``).
    public static func start(
        path: String, mode: mode_t = 0o660, group: gid_t? = nil, limits: Limits = Limits(),
        handler: @escaping Handler, onDisconnect: @escaping DisconnectHandler = { _, _ in }
    ) throws(ControlSocketError) -> ControlServer {
        let fd = try bind(path: path, mode: mode, group: group)
        return try serve(listener: fd, path: path, limits: limits, handler: handler, onDisconnect: onDisconnect)
    }

    private static func serve(
        listener: Int32, path: String, limits: Limits, handler: @escaping Handler,
        onDisconnect: @escaping DisconnectHandler
    ) throws(ControlSocketError) -> ControlServer {
        var pipeEnds: [Int32] = [0, 0]
        guard gws_pipe_nonblocking(&pipeEnds) == 0 else {
            let code = errno
            close(listener)
            unlink(path)
            throw .system("pipe", code)
        }
        let server = ControlServer(
            path: path, listener: listener, wake: (pipeEnds[0], pipeEnds[1]), limits: limits,
            handler: handler, onDisconnect: onDisconnect)
        let thread = Thread {
            // The name `top -H` and the journal's _COMM show (Thread.name does not reach the OS).
            gws_name_current_thread("control-socket")
            server.serveLoop()
        }
        thread.start()
        return server
    }

    private init(
        path: String, listener: Int32, wake: (read: Int32, write: Int32), limits: Limits,
        handler: @escaping Handler, onDisconnect: @escaping DisconnectHandler
    ) {
        self.path = path
        self.listener = listener
        self.wake = wake
        self.limits = limits
        self.handler = handler
        self.onDisconnect = onDisconnect
    }

    /// Stops serving: every client is closed, the socket file removed. Waits (at most a few seconds) for the server thread to end.
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
        mail(.send(client: client, bytes: bytes, close: close))
    }

    /// Something the daemon does for `client` starts or ends (it keeps the client from idling out).
    func activity(of client: Int, _ delta: Int) { mail(.activity(client: client, delta: delta)) }

    private func mail(_ item: Mail) {
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.stopping else { return false }
            shared.outbox.append(item)
            return true
        }
        if accepted { wakeUp() }
    }

    private func wakeUp() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    // MARK: The server thread

    private func serveLoop() {
        var clients: [Int: Client] = [:]
        var nextID = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        defer {
            for client in clients.values { drop(client, from: &clients, reason: nil) }
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
                var events: Int16 = 0
                // No reading while replies wait to be written: a client that does not read
                // cannot make the server hold more than one round of replies.
                if client.pending == 0 && !client.closeAfterWrite { events |= Int16(POLLIN) }
                if client.pending > 0 { events |= Int16(POLLOUT) }
                fds.append(pollfd(fd: client.fd, events: events, revents: 0))
            }
            let backlog = clients.values.contains { !$0.input.isEmpty && $0.pending == 0 && !$0.closeAfterWrite }
            let timeout = backlog ? 0 : pollTimeout(clients)
            guard poll(&fds, nfds_t(fds.count), timeout) >= 0 || errno == EINTR else { return }
            if fds[0].revents != 0 {
                while read(wake.read, &buffer, buffer.count) > 0 {}
                let (outbox, stopping) = shared.withLock { shared in
                    defer { shared.outbox = [] }
                    return (shared.outbox, shared.stopping)
                }
                if stopping { return }
                deliver(outbox, to: &clients)
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                acceptClients(&clients, nextID: &nextID)
            }
            for (index, id) in order.enumerated() {
                let revents = fds[index + 2].revents
                guard var client = clients[id] else { continue }
                if revents & Int16(POLLOUT) != 0 {
                    let before = client.pending
                    guard flush(&client) else {
                        drop(client, from: &clients, reason: nil)
                        continue
                    }
                    if client.pending < before { client.lastOutputProgress = .now }
                    if client.closeAfterWrite && client.pending == 0 {
                        drop(client, from: &clients, reason: nil)
                        continue
                    }
                }
                if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0, client.pending == 0, !client.closeAfterWrite {
                    let count = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
                    if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
                        drop(client, from: &clients, reason: nil)
                        continue
                    }
                    if count > 0 { client.input += buffer[0..<count] }
                }
                if client.pending == 0 && !client.input.isEmpty && !client.closeAfterWrite {
                    if let reason = readLines(&client) {
                        drop(client, from: &clients, reason: reason)
                        continue
                    }
                    if client.pending > limits.maxPendingOutput {
                        drop(client, from: &clients, reason: .outputOverflow)
                        continue
                    }
                }
                clients[id] = client
            }
            expire(&clients)
        }
    }

    /// Hands the daemon's replies and events to their clients.
    private func deliver(_ outbox: [Mail], to clients: inout [Int: Client]) {
        for item in outbox {
            switch item {
            case .send(let id, let bytes, let closeAfter):
                guard var client = clients[id] else { continue }
                if client.pending == 0 { client.lastOutputProgress = .now }
                client.output += bytes
                if closeAfter { client.closeAfterWrite = true }
                if client.pending > limits.maxPendingOutput {
                    // A client that does not read is dropped, never waited for.
                    drop(client, from: &clients, reason: .outputOverflow)
                    continue
                }
                clients[id] = client
            case .activity(let id, let delta):
                clients[id]?.activity += delta
                clients[id]?.lastRequest = .now
            }
        }
    }

    private func acceptClients(_ clients: inout [Int: Client], nextID: inout Int) {
        while true {
            let fd = gws_accept_nonblocking(listener)
            guard fd >= 0 else { return }
            nextID += 1
            let now = ContinuousClock.now
            var client = Client(
                fd: fd, connection: ControlConnection(id: nextID, peer: Self.peer(of: fd), server: self),
                lastRequest: now, lastOutputProgress: now)
            let full = clients.count >= limits.maxClients
            if full && clients.values.count(where: \.reserved) >= limits.reservedClients {
                client.output = ControlProtocol.reply(
                    ControlError(.tooManyClients, "\(limits.maxClients) clients are connected already"))
                _ = flush(&client)
                close(fd)
                onDisconnect(client.connection, .tooManyClients)
                continue
            }
            client.reserved = full
            clients[nextID] = client
        }
    }

    /// Hands up to `maxRequestsPerRound` complete lines to the handler (the rest waits for
    /// the next round); returns why the client must go, if it must.
    private func readLines(_ client: inout Client) -> DropReason? {
        var start = 0
        var handled = 0
        while handled < limits.maxRequestsPerRound, let newline = client.input[start...].firstIndex(of: 0x0A) {
            let line = client.input[start..<newline]
            start = newline + 1
            if line.count > limits.maxLineBytes { return refuseLongLine(&client) }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            handled += 1
            client.lastRequest = .now
            switch ControlProtocol.request(from: line) {
            case .success(let request):
                if client.reserved && request.op != "reload" && request.op != "ping" {
                    client.output += ControlProtocol.reply(
                        ControlError(
                            .tooManyClients, "\(limits.maxClients) clients are connected; this slot is kept for reload",
                            id: request.id))
                    client.closeAfterWrite = true
                    client.input = []
                    return nil
                }
                handler(request, client.connection)
            case .failure(let error): client.output += ControlProtocol.reply(error)
            }
            if client.pending > limits.maxPendingOutput { break }
        }
        client.input.removeFirst(start)
        if client.input.count > limits.maxLineBytes { return refuseLongLine(&client) }
        let partial = !client.input.isEmpty && !client.input.contains(0x0A)
        if partial {
            if client.partialSince == nil { client.partialSince = .now }
        } else {
            client.partialSince = nil
        }
        return nil
    }

    private func refuseLongLine(_ client: inout Client) -> DropReason? {
        client.input = []
        client.output += ControlProtocol.reply(
            ControlError(.lineTooLong, "a request line may hold at most \(limits.maxLineBytes) bytes"))
        client.closeAfterWrite = true
        return nil
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

    func drop(_ client: Client, from clients: inout [Int: Client], reason: DropReason?) {
        if let reason, reason == .idle || reason == .partialLine, client.pending == 0 {
            // A client that reads is told why, in one best-effort line (never waited for).
            let line = ControlProtocol.reply(ControlError(.dropped, "dropped: \(reason.rawValue)"))
            _ = line.withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
        close(client.fd)
        clients[client.connection.id] = nil
        onDisconnect(client.connection, reason)
    }
}
