import BayeuxCore
import Glibc
import JSON
import ScriptedHTTPServer

/// A GWS 8.5 server (or cluster of nodes) in miniature: REST under `/api/v2`, CometD 3 at
/// `/api/v2/notifications`, a control endpoint at `/sim/control`, and a handle for
/// in-process tests to change the agent, inject faults and read what clients sent.
///
/// It is at least as strict as GWS: CSRF on every POST, HTTP sessions that expire, and
/// on a cluster, sessions that exist on one node only.
public actor GWSSimulator {
    /// The CometD endpoint path.
    public static let notificationsPath = "/api/v2/notifications"

    let configuration: SimulatorConfiguration
    /// Totals for tests and `/sim/control/counters`.
    public nonisolated let counters = SimulatorCounters()
    var nodes: [SimulatorNode]
    var agents: [String: SimulatedAgent]
    var faults = FaultPlan()
    var log: [LoggedRequest] = []
    var host = "127.0.0.1"
    var activity: Task<Void, Never>?
    /// Kept for restarts: told when each response has been written.
    var writeObserver: ScriptedHTTPServer.WriteObserver?
    /// Added to the monotonic clock for HTTP-session ages (``advanceSessionClock(by:)``).
    var sessionClockOffset: Duration = .zero

    /// The instant HTTP sessions are aged by.
    var sessionNow: ContinuousClock.Instant { ContinuousClock.now + sessionClockOffset }

    public init(configuration: SimulatorConfiguration = SimulatorConfiguration()) {
        self.configuration = configuration
        let counters = self.counters
        self.nodes = (0..<configuration.nodes).map { index in
            SimulatorNode(
                index: index, httpSessions: HTTPSessions(idleTimeout: configuration.httpSessionTimeout),
                engine: CometDEngine(settings: configuration.cometd, counters: counters))
        }
        self.agents = Dictionary(
            configuration.agents.map { ($0.username, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Lifecycle

    /// Starts every node on consecutive ports from `host:port` (0 picks free ones);
    /// returns the first node's base URL.
    @discardableResult
    public func start(
        host: String = "127.0.0.1", port: Int = 0, onWrite: ScriptedHTTPServer.WriteObserver? = nil
    ) async throws -> String {
        self.host = host
        writeObserver = onWrite
        // Every agent's long poll holds a connection: 1,000 agents need more than the
        // usual soft limit of 1,024 descriptors.
        if configuration.agents.count > 100 { Self.raiseOpenFileLimit() }
        // With a random first port, the next ones may be taken: try a few first ports.
        let attempts = port == 0 && nodes.count > 1 ? 20 : 1
        for attempt in 1...attempts {
            do {
                let first = try await listen(node: 0, port: port)
                for index in nodes.indices.dropFirst() { _ = try await listen(node: index, port: first + index) }
                break
            } catch {
                for index in nodes.indices { await stopListening(node: index) }
                if attempt == attempts { throw error }
            }
        }
        for node in nodes { await node.engine.startSweeper() }
        return baseURL
    }

    /// Binds node `index` to `port`; returns the port bound.
    private func listen(node index: Int, port: Int) async throws -> Int {
        let server = try await ScriptedHTTPServer.start(host: host, port: port, onWrite: writeObserver) {
            [weak self] request in
            guard let self else { return .close }
            return await self.handle(request, node: index)
        }
        nodes[index].server = server
        nodes[index].port = server.port
        return server.port
    }

    /// `http://host:port` of the first node.
    public var baseURL: String { baseURL(node: 0) }

    /// `http://host:port` of node `index`.
    public func baseURL(node index: Int) -> String { "http://\(host):\(nodes[index].port)" }

    /// Every node's base URL, in node order.
    public var baseURLs: [String] { nodes.indices.map { baseURL(node: $0) } }

    /// Stops listening everywhere, drops every session and connection, and stops scripted activity.
    public func stop() async {
        activity?.cancel()
        activity = nil
        for index in nodes.indices { await stopListening(node: index) }
        for node in nodes { await node.engine.shutdown() }
    }

    /// Closes node `index`'s listener (every node when nil) and its connections, and
    /// forgets its HTTP and Bayeux sessions, like a crash.
    public func stopListening(node index: Int? = nil) async {
        for i in index.map({ [$0] }) ?? Array(nodes.indices) {
            guard let server = nodes[i].server else { continue }
            // Down only once the listener is closed: a start right after must find the port free.
            await server.stop()
            if nodes[i].server === server { nodes[i].server = nil }
            await nodes[i].engine.dropAllSessions()
            nodes[i].httpSessions.removeAll()
        }
    }

    /// Listens again on the same port after ``stopListening(node:)`` (every stopped node when nil).
    public func startListening(node index: Int? = nil) async throws {
        for i in index.map({ [$0] }) ?? Array(nodes.indices) where nodes[i].server == nil {
            _ = try await listen(node: i, port: nodes[i].port)
        }
    }

    /// A restart of node `index` (every node when nil): down for `downtime`, then up on the
    /// same port with no HTTP session and no Bayeux session.
    public func restart(downtime: Duration = .zero, node index: Int? = nil) async throws {
        await stopListening(node: index)
        if downtime > .zero { try? await Task.sleep(for: downtime) }
        try await startListening(node: index)
    }

    /// Whether node `index` is listening.
    public func isUp(node index: Int) -> Bool { nodes[index].isUp }

    // MARK: Handles for tests and the control endpoint

    /// Changes the agent as another desktop would, and publishes the notifications.
    @discardableResult
    public func apply(
        _ operation: String, scope: OperationScope = .all, username: String? = nil
    ) async
        -> OperationOutcome
    {
        guard let name = username ?? configuration.agents.first?.username, var agent = agents[name] else {
            return .rejected(statusCode: 6, message: "no such user")
        }
        let outcome = agent.apply(operation, scope: scope, baseURL: baseURL)
        agents[name] = agent
        if case .accepted(let notifications) = outcome {
            counters.increment(.operations)
            await publish(notifications, username: name)
        }
        return outcome
    }

    /// Queues `notifications` on every node: each node delivers them to its own sessions.
    func publish(_ notifications: [Notification], username: String) async {
        for node in nodes { await node.engine.publish(notifications, username: username) }
    }

    /// The agent as the simulator holds it: the truth a client's picture is checked against.
    public func agent(_ username: String? = nil) -> SimulatedAgent? {
        agents[username ?? configuration.agents.first?.username ?? ""]
    }

    /// Applies `fault` to the next `count` requests of `target`.
    public func inject(_ fault: Fault, count: Int = 1, target: FaultTarget = .any) {
        faults.add(fault, count: count, target: target)
    }

    /// Removes every pending fault.
    public func clearFaults() async {
        faults.clear()
        for node in nodes { await node.engine.injectConnectFaults() }
    }

    /// Forgets every Bayeux session (HTTP sessions survive), as a session sweep would.
    public func dropSessions() async {
        for node in nodes { await node.engine.dropAllSessions() }
    }

    /// Forgets the HTTP sessions of node `index` (every node when nil), as their idle
    /// timeout would: the next request with one of their cookies meets a CSRF refusal.
    public func expireHTTPSessions(node index: Int? = nil, username: String? = nil) {
        for i in index.map({ [$0] }) ?? Array(nodes.indices) {
            if let username {
                nodes[i].httpSessions.remove(username: username)
            } else {
                nodes[i].httpSessions.removeAll()
            }
        }
        counters.increment(.httpSessionsExpired)
    }

    /// Raises this process's soft limit of open files to its hard limit (at most 2^20).
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 1 << 20)
        _ = setrlimit(resource, &limit)
    }

    /// Ages every HTTP session by `duration` at once, as if that much idle time had passed:
    /// tests of the idle timeout need not wait for it.
    public func advanceSessionClock(by duration: Duration) {
        sessionClockOffset += duration
    }

    /// Changes `username`'s password: the old one gets HTTP 401 from now on.
    @discardableResult
    public func changePassword(_ password: String, username: String? = nil) -> Bool {
        guard let name = username ?? configuration.agents.first?.username, agents[name] != nil else { return false }
        agents[name]?.password = password
        return true
    }

    /// `EndContactCenterSession` from another desktop: the agent is logged out on every
    /// device and channel (and the notifications published), and every HTTP session of
    /// the user, on every node, is invalidated.
    @discardableResult
    public func endContactCenterSession(username: String? = nil) async -> OperationOutcome {
        guard let name = username ?? configuration.agents.first?.username else {
            return .rejected(statusCode: 6, message: "no such user")
        }
        let outcome = await apply("EndContactCenterSession", username: name)
        if case .accepted = outcome {
            for i in nodes.indices { nodes[i].httpSessions.remove(username: name) }
        }
        return outcome
    }

    /// The next `count` connects are answered with `reconnect: none`.
    public func injectReconnectNone(count: Int = 1) async {
        await nodes[0].engine.injectConnectFaults(reconnectNone: count)
    }

    /// The next `count` connects carry `multiple-clients` advice.
    public func injectMultipleClients(count: Int = 1) async {
        await nodes[0].engine.injectConnectFaults(multipleClients: count)
    }

    /// Requests received so far (no header values, no bodies), oldest first.
    public var requests: [LoggedRequest] { log }

    /// How many Bayeux sessions exist, on every node together.
    public var bayeuxSessions: Int {
        get async {
            var total = 0
            for node in nodes { total += await node.engine.sessionCount }
            return total
        }
    }

    /// How many connects are held (parked long polls), on every node together.
    public var heldConnects: Int {
        get async {
            var total = 0
            for node in nodes { total += await node.engine.heldCount }
            return total
        }
    }

    /// How many HTTP sessions node `index` holds (expired ones not yet purged included).
    public func httpSessionCount(node index: Int = 0) -> Int { nodes[index].httpSessions.count }

    /// Changes the agent every `interval`, cycling through states and DND, as an agent
    /// clicking in a desktop would.
    public func startScriptedActivity(interval: Duration) {
        activity?.cancel()
        activity = Task { [weak self] in
            let script: [(String, OperationScope)] = [
                ("Ready", .all), ("DoNotDisturbOn", .all), ("NotReady", .all), ("DoNotDisturbOff", .all),
                ("AfterCallWork", .channel("voice")), ("Ready", .channel("voice")), ("OutToLunch", .all),
                ("AuxWork", .channel("voice")), ("NotReady", .all),
            ]
            var step = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                let (operation, scope) = script[step % script.count]
                for username in await self.usernames { await self.apply(operation, scope: scope, username: username) }
                step += 1
            }
        }
    }

    var usernames: [String] { configuration.agents.map(\.username) }

    // MARK: Routing

    func handle(_ request: RecordedRequest, node: Int) async -> ScriptedResponse {
        let parts = RequestParts(request)
        if parts.path.hasPrefix("/sim/") {
            return configuration.controlEndpoint ? await control(request, parts) : .json(notFound, status: 404)
        }
        counters.increment(.requests)
        let isCometD = parts.path.hasPrefix(Self.notificationsPath)
        var response: ScriptedResponse
        var fault = faults.next(cometd: isCometD)
        let faulted = fault != nil
        if case .delay(let duration)? = fault {
            counters.increment(.faultsApplied)
            try? await Task.sleep(for: duration)
            fault = nil
        }
        if let fault {
            counters.increment(.faultsApplied)
            response = Self.response(for: fault)
        } else if isCometD {
            response = await cometd(request, parts, node: node)
        } else {
            counters.increment(.restRequests)
            response = await rest(request, parts, node: node)
        }
        record(request, parts, cometd: isCometD, node: node, faulted: faulted, response: response)
        return response
    }

    static func response(for fault: Fault) -> ScriptedResponse {
        switch fault {
        case .status(let status): return .htmlError(status)
        case .delay: return .htmlError(500)
        case .hang: return .hang
        case .malformed:
            return .respond(
                status: 200, headers: [("Content-Type", "application/json")],
                body: Array("[{\"channel\":\"/meta/conn".utf8))
        case .empty: return .respond(status: 200, headers: [("Content-Type", "application/json")], body: [])
        case .oversized(let size):
            return .respond(
                status: 200, headers: [("Content-Type", "application/json")],
                body: Array("[".utf8) + Array(repeating: 0x20, count: max(0, size - 2)) + Array("]".utf8))
        case .closeMidBody:
            return .truncated(declaredLength: 4096, body: Array("[{\"channel\":\"/v2/me/devices\",\"data\":{".utf8))
        case .manyKeys(let count):
            var body = Array("[{\"channel\":\"/v2/me/devices\",\"data\":{".utf8)
            for index in 0..<max(1, count) {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body += Array("\"k\(index)\":0".utf8)
            }
            body += Array("}}]".utf8)
            return .respond(status: 200, headers: [("Content-Type", "application/json")], body: body)
        case .deepNesting(let depth):
            let body =
                Array("[{\"channel\":\"/v2/me/devices\",\"data\":".utf8)
                + Array(repeating: UInt8(ascii: "["), count: depth)
                + Array(repeating: UInt8(ascii: "]"), count: depth) + Array("}]".utf8)
            return .respond(status: 200, headers: [("Content-Type", "application/json")], body: body)
        case .trickle:
            return .trickle(
                body: Array("[{\"channel\":\"/meta/connect\",\"successful\":true}]".utf8), every: .milliseconds(100))
        case .hugeHeader(let size):
            return .respond(
                status: 200,
                headers: [
                    ("Content-Type", "application/json"), ("X-Padding", String(repeating: "a", count: max(1, size))),
                ],
                body: Array("[]".utf8))
        case .endlessBody:
            return .endlessChunked(chunk: Array(repeating: 0x20, count: 4096), every: .milliseconds(1))
        }
    }

    private func record(
        _ request: RecordedRequest, _ parts: RequestParts, cometd: Bool, node: Int, faulted: Bool,
        response: ScriptedResponse
    ) {
        let status: Int
        switch response {
        case .respond(let code, _, _): status = code
        case .truncated, .trickle, .endlessChunked: status = 200
        case .close, .hang: status = 0
        }
        let channels = cometd ? ((try? BayeuxCodec.decode(request.body))?.map(\.channel) ?? []) : []
        log.append(
            LoggedRequest(
                method: request.method, path: parts.path,
                headers: Set(request.headers.map { $0.name.lowercased() }).sorted(), channels: channels, status: status,
                node: node, cookies: parts.cookies.keys.sorted(), faulted: faulted))
        if log.count > 10_000 { log.removeFirst(log.count - 10_000) }
    }

    var notFound: JSONValue { ["statusCode": 6, "statusMessage": "Resource not found"] }
}
