import BayeuxCore
import ScriptedHTTPServer

/// A GWS 8.5 server in miniature: REST under `/api/v2`, CometD 3 at
/// `/api/v2/notifications`, a control endpoint at `/sim/control`, and a handle for
/// in-process tests to change the agent, inject faults and read what clients sent.
public actor GWSSimulator {
    /// The CometD endpoint path.
    public static let notificationsPath = "/api/v2/notifications"

    let configuration: SimulatorConfiguration
    /// Totals for tests and `/sim/control/counters`.
    public nonisolated let counters = SimulatorCounters()
    let engine: CometDEngine
    var agents: [String: SimulatedAgent]
    var httpSessions = HTTPSessions()
    var faults = FaultPlan()
    var log: [LoggedRequest] = []
    var server: ScriptedHTTPServer?
    var host = "127.0.0.1"
    var port = 0
    var activity: Task<Void, Never>?
    /// Kept for restarts: told when each response has been written.
    var writeObserver: ScriptedHTTPServer.WriteObserver?

    public init(configuration: SimulatorConfiguration = SimulatorConfiguration()) {
        self.configuration = configuration
        self.engine = CometDEngine(settings: configuration.cometd, counters: counters)
        self.agents = Dictionary(
            configuration.agents.map { ($0.username, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Lifecycle

    /// Starts listening on `host:port` (0 picks a free port); returns the base URL.
    @discardableResult
    public func start(
        host: String = "127.0.0.1", port: Int = 0, onWrite: ScriptedHTTPServer.WriteObserver? = nil
    ) async throws -> String {
        self.host = host
        writeObserver = onWrite
        let server = try await ScriptedHTTPServer.start(host: host, port: port, onWrite: onWrite) {
            [weak self] request in
            guard let self else { return .close }
            return await self.handle(request)
        }
        self.server = server
        self.port = server.port
        await engine.startSweeper()
        return baseURL
    }

    /// `http://host:port`.
    public var baseURL: String { "http://\(host):\(port)" }

    /// Stops listening, drops every session and connection, and stops scripted activity.
    public func stop() async {
        activity?.cancel()
        activity = nil
        await stopListening()
        await engine.shutdown()
    }

    /// Closes the listener and every connection and forgets all sessions, like a crash.
    public func stopListening() async {
        if let server { await server.stop() }
        server = nil
        await engine.dropAllSessions()
        httpSessions.removeAll()
    }

    /// Listens again on the same port after ``stopListening()``.
    public func startListening() async throws {
        guard server == nil else { return }
        server = try await ScriptedHTTPServer.start(host: host, port: port, onWrite: writeObserver) {
            [weak self] request in
            guard let self else { return .close }
            return await self.handle(request)
        }
    }

    /// A server restart: down for `downtime`, then up on the same port with no sessions.
    public func restart(downtime: Duration = .zero) async throws {
        await stopListening()
        if downtime > .zero { try? await Task.sleep(for: downtime) }
        try await startListening()
    }

    // MARK: Handles for tests and the control endpoint

    /// Changes the agent as another desktop would, and publishes the notifications.
    @discardableResult
    public func apply(
        _ operation: String, scope: OperationScope = .all, username: String? = nil
    ) async -> OperationOutcome {
        guard let name = username ?? configuration.agents.first?.username, var agent = agents[name] else {
            return .rejected(statusCode: 6, message: "no such user")
        }
        let outcome = agent.apply(operation, scope: scope, baseURL: baseURL)
        agents[name] = agent
        if case .accepted(let notifications) = outcome {
            counters.increment(.operations)
            await engine.publish(notifications, username: name)
        }
        return outcome
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
        await engine.injectConnectFaults()
    }

    /// Forgets every Bayeux session (HTTP sessions survive), as a session sweep would.
    public func dropSessions() async { await engine.dropAllSessions() }

    /// The next `count` connects are answered with `reconnect: none`.
    public func injectReconnectNone(count: Int = 1) async { await engine.injectConnectFaults(reconnectNone: count) }

    /// The next `count` connects carry `multiple-clients` advice.
    public func injectMultipleClients(count: Int = 1) async { await engine.injectConnectFaults(multipleClients: count) }

    /// Requests received so far (no header values, no bodies), oldest first.
    public var requests: [LoggedRequest] { log }

    /// How many Bayeux sessions exist.
    public var bayeuxSessions: Int { get async { await engine.sessionCount } }

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

    func handle(_ request: RecordedRequest) async -> ScriptedResponse {
        let parts = RequestParts(request)
        if parts.path.hasPrefix("/sim/") {
            return configuration.controlEndpoint ? await control(request, parts) : .json(notFound, status: 404)
        }
        counters.increment(.requests)
        let isCometD = parts.path.hasPrefix(Self.notificationsPath)
        var response: ScriptedResponse
        var fault = faults.next(cometd: isCometD)
        if case .delay(let duration)? = fault {
            counters.increment(.faultsApplied)
            try? await Task.sleep(for: duration)
            fault = nil
        }
        if let fault {
            counters.increment(.faultsApplied)
            response = Self.response(for: fault)
        } else if isCometD {
            response = await cometd(request, parts)
        } else {
            counters.increment(.restRequests)
            response = await rest(request, parts)
        }
        record(request, parts, cometd: isCometD, response: response)
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
        }
    }

    private func record(_ request: RecordedRequest, _ parts: RequestParts, cometd: Bool, response: ScriptedResponse) {
        let status: Int
        switch response {
        case .respond(let code, _, _): status = code
        case .truncated: status = 200
        case .close, .hang: status = 0
        }
        let channels = cometd ? ((try? BayeuxCodec.decode(request.body))?.map(\.channel) ?? []) : []
        log.append(
            LoggedRequest(
                method: request.method, path: parts.path,
                headers: Set(request.headers.map { $0.name.lowercased() }).sorted(), channels: channels, status: status)
        )
        if log.count > 10_000 { log.removeFirst(log.count - 10_000) }
    }

    var notFound: JSONValue { ["statusCode": 6, "statusMessage": "Resource not found"] }
}
