import AgentState
import BuildVersion
import ControlSocket
import Glibc
import JSON
import Locking
import Logging
import Timekeeping

/// The daemon's side of the control socket (`docs/control-socket.md`): serves it, checks who may do what, logs every
/// operation with the caller's uid, gid and pid, and answers it.
///
/// What a client can cause is bounded: the socket server bounds its bytes and time; here,
/// `set` and `states` in flight per client and per agent (``InFlightLimits``), one reload
/// at a time (``Reloader``), and notices about bad requests and dropped clients per peer
/// (``ThrottledNotices``). With `control.operator_groups`, `set`, `states` and `reload` are
/// allowed by group (``OperatorGroups``).
///
/// A directory that does not exist yet is retried every few seconds. A socket that another
/// live daemon serves, or a `control.group` the socket cannot be given, stops this one.
final class DaemonControl: Sendable {
    private let path: String
    private let group: String?
    private let logger: Logger
    private let reloader: Reloader
    private let operations: ControlOperations
    private let fleet: AgentFleet
    private let clock: InjectedClock
    private let limits = InFlightLimits()
    private let notices = ThrottledNotices()
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
        operations = ControlOperations(fleet: fleet, logger: logger, clock: clock)
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

    /// Starts serving on `control.socket`, bound with `control.group` and mode 0660 before it
    /// listens. Throws when another daemon serves it, or when it cannot be given
    /// `control.group`; a missing directory is retried every 5 s (with the same group and mode).
    func start() throws(ControlSocketError) {
        do {
            try open()
        } catch .inUse(let path) {
            throw .inUse(path)
        } catch .groupNotSet(let path, let code) {
            throw .groupNotSet(path, code)
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
            guard let entry = getgrnam(group) else { throw .groupNotSet(path, ENOENT) }
            gid = entry.pointee.gr_gid
        }
        let started = try ControlServer.start(
            path: path, mode: 0o660, group: gid, handler: handler, onDisconnect: onDisconnect)
        server.withLock { $0 = started }
        logger.info("control socket ready", metadata: ["control.socket": "\(path)"])
    }

    private var handler: ControlServer.Handler {
        { [weak self] request, connection in self?.handle(request, from: connection) }
    }

    private var onDisconnect: ControlServer.DisconnectHandler {
        { [weak self] connection, reason in
            guard let self else { return }
            self.operations.disconnected(connection)
            if let reason { self.notice("control: client dropped: \(reason.rawValue)", connection.peer) }
        }
    }

    /// The audit fields of a request: the operation and who asked.
    private func metadata(_ request: ControlRequest, _ peer: PeerCredentials) -> Logger.Metadata {
        [
            "control.op": "\(request.op)", "peer.uid": "\(peer.uid)", "peer.gid": "\(peer.gid)",
            "peer.pid": "\(peer.pid)",
        ]
    }

    /// A notice a client can cause at will, at most one a minute per peer uid.
    private func notice(_ message: String, _ peer: PeerCredentials, metadata: Logger.Metadata = [:]) {
        let (admitted, suppressed) = notices.admit(uid: peer.uid, now: clock.now)
        var fields = metadata
        fields["peer.uid"] = "\(peer.uid)"
        fields["peer.pid"] = "\(peer.pid)"
        guard admitted else {
            logger.debug("\(message)", metadata: fields)
            return
        }
        if suppressed > 0 { fields["control.suppressed"] = "\(suppressed)" }
        logger.notice("\(message)", metadata: fields)
    }

    /// Answers one request (on the socket's thread: anything slow goes to a task).
    private func handle(_ request: ControlRequest, from connection: ControlConnection) {
        let peer = connection.peer
        let metadata = metadata(request, peer)
        switch request.op {
        case "ping":
            logger.debug("control: ping", metadata: metadata)
            connection.send(ControlProtocol.reply(id: request.id, identity.merging(["pong": true])))
        case "reload":
            if let refusal = refusal(of: peer, agent: nil) { return refuse(request, connection, refusal, metadata) }
            logger.notice(
                "control: reload",
                metadata: metadata.merging([MessageID.key: "\(MessageID.operatorCommand)"]) { _, new in new })
            let reloader = self.reloader
            connection.beginActivity()
            Task {
                defer { connection.endActivity() }
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
        case "set", "states":
            guard let agent = operations.agent(for: request, connection) else { return }
            if let refusal = refusal(of: peer, agent: agent) { return refuse(request, connection, refusal, metadata) }
            if let busy = limits.acquire(client: connection.id, agent: agent) {
                notice("control: \(request.op) refused: \(busy)", peer, metadata: metadata)
                return connection.send(ControlProtocol.reply(ControlError(.busy, busy, id: request.id)))
            }
            let limits = self.limits
            connection.beginActivity()
            let done: @Sendable () -> Void = {
                limits.release(client: connection.id, agent: agent)
                connection.endActivity()
            }
            if request.op == "set" {
                operations.set(request, connection, agent: agent, metadata: metadata, done: done)
            } else {
                logger.debug("control: states", metadata: metadata)
                operations.states(request, connection, agent: agent, done: done)
            }
        default:
            notice("control: unknown operation", peer, metadata: metadata)
            connection.send(
                ControlProtocol.reply(
                    ControlError(
                        .unknownOperation, "no operation \"\(request.op)\" (see docs/control-socket.md)", id: request.id
                    )))
        }
    }

    /// Why `peer` may not act on `agent` (`nil`: the daemon as a whole), or `nil` when it may.
    private func refusal(of peer: PeerCredentials, agent: String?) -> String? {
        fleet.currentConfiguration.operatorGroups.refusal(uid: peer.uid, isMember: peer.isMember(of:), agent: agent)
    }

    private func refuse(
        _ request: ControlRequest, _ connection: ControlConnection, _ refusal: String, _ metadata: Logger.Metadata
    ) {
        // An audit line, as for an operation carried out: who was refused what.
        logger.notice(
            "control: \(request.op) refused: \(refusal)",
            metadata: metadata.merging([MessageID.key: "\(MessageID.operatorCommand)"]) { _, new in new })
        connection.send(ControlProtocol.reply(ControlError(.forbidden, refusal, id: request.id)))
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
