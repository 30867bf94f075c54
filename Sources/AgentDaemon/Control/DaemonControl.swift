import AgentState
import BuildVersion
import ControlSocket
import Glibc
import JSON
import Locking
import Logging
import Timekeeping

/// The daemon's side of the control socket (`docs/control-socket.md`): serves it next to
/// the state file, logs every accepted command with the caller's uid, gid and pid, and
/// answers it.
///
/// A directory that does not exist yet is retried every few seconds; a socket that another
/// live daemon serves stops this one (two daemons would fight over the same state file).
final class DaemonControl: Sendable {
    private let path: String
    private let group: String?
    private let logger: Logger
    private let reloader: Reloader
    private let operations: ControlOperations
    private let fleet: AgentFleet
    private let clock: InjectedClock
    private let server = Locked<ControlServer?>(nil)
    private let retry = Locked<Task<Void, Never>?>(nil)

    init(
        configuration: DaemonConfiguration, reloader: Reloader, fleet: AgentFleet, logger: Logger, clock: InjectedClock
    ) {
        path = configuration.controlSocket
        group = configuration.controlGroup
        self.logger = logger
        self.reloader = reloader
        self.fleet = fleet
        self.clock = clock
        operations = ControlOperations(agents: AgentLookup(fleet: fleet), logger: logger, clock: clock)
    }

    /// What `ping` answers: the daemon's version and pid, its agents, and (for clients of
    /// a daemon of one agent) that agent as `username`.
    private var identity: JSONObject {
        let usernames = fleet.usernames
        var identity: JSONObject = [
            "version": .string(BuildVersion.current), "pid": .int(Int64(getpid())),
            "agents": .array(usernames.map(JSONValue.string)),
        ]
        if usernames.count == 1, let only = usernames.first { identity["username"] = .string(only) }
        return identity
    }

    /// Starts serving. Throws only when another daemon serves the socket.
    func start() throws(ControlSocketError) {
        do {
            try open()
        } catch .inUse(let path) {
            throw .inUse(path)
        } catch {
            logger.warning(
                "control socket not available yet; retrying every 5 s",
                metadata: ["control.socket": "\(path)", "error": "\(error)"])
            let clock = self.clock
            let task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await clock.sleep(for: .seconds(5))
                    guard let self, !Task.isCancelled else { return }
                    if (try? self.open()) != nil { return }
                }
            }
            retry.withLock { $0 = task }
        }
    }

    /// Stops serving and removes the socket file.
    func stop() {
        retry.withLock { $0?.cancel() }
        server.withLock { $0 }?.stop()
    }

    private func open() throws(ControlSocketError) {
        var gid: gid_t?
        if let group {
            guard let entry = getgrnam(group) else { throw .system("no group \(group)", ENOENT) }
            gid = entry.pointee.gr_gid
        }
        let operations = self.operations
        let started = try ControlServer.start(
            path: path, mode: 0o660, group: gid,
            handler: { [weak self] request, connection in self?.handle(request, from: connection) },
            onDisconnect: { operations.disconnected($0) })
        server.withLock { $0 = started }
        logger.info("control socket ready", metadata: ["control.socket": "\(path)"])
    }

    /// Answers one request (on the socket's thread: anything slow goes to a task).
    private func handle(_ request: ControlRequest, from connection: ControlConnection) {
        let peer = connection.peer
        let metadata: Logger.Metadata = [
            "control.op": "\(request.op)", "peer.uid": "\(peer.uid)", "peer.gid": "\(peer.gid)",
            "peer.pid": "\(peer.pid)",
        ]
        switch request.op {
        case "ping":
            logger.debug("control: ping", metadata: metadata)
            connection.send(ControlProtocol.reply(id: request.id, identity.merging(["pong": true])))
        case "reload":
            logger.notice(
                "control: reload",
                metadata: metadata.merging([MessageID.key: "\(MessageID.operatorCommand)"]) { _, new in new })
            let reloader = self.reloader
            Task {
                if let error = await reloader.reload() {
                    connection.send(ControlProtocol.reply(ControlError(.reloadFailed, "\(error)", id: request.id)))
                } else {
                    connection.send(ControlProtocol.reply(id: request.id, ["reloaded": true]))
                }
            }
        case "snapshot":
            logger.debug("control: snapshot", metadata: metadata)
            operations.snapshot(request, connection)
        case "subscribe":
            logger.info("control: subscribe", metadata: metadata)
            operations.subscribe(request, connection)
        case "set":
            operations.set(request, connection, metadata: metadata)
        case "states":
            logger.debug("control: states", metadata: metadata)
            operations.states(request, connection)
        default:
            logger.info("control: unknown operation", metadata: metadata)
            connection.send(
                ControlProtocol.reply(
                    ControlError(
                        .unknownOperation, "no operation \"\(request.op)\" (see docs/control-socket.md)", id: request.id
                    )))
        }
    }
}

extension JSONObject {
    /// This object with `other`'s members added (replacing same-named ones).
    func merging(_ other: JSONObject) -> JSONObject {
        var merged = self
        for (key, value) in other { merged[key] = value }
        return merged
    }
}
