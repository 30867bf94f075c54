import BayeuxCore
import JSON
import ScriptedHTTPServer
import Timekeeping

/// The rules of a GWS 8.5 server (or cluster of nodes): REST under `/api/v2`, CometD 3 at
/// `/api/v2/notifications`, HTTP sessions, faults, and handles for tests to change the
/// agents and read what clients sent. No transport and no clock of its own: gws-sim
/// serves it over NIO on real time (``GWSSimulator``), the daemon's in-process tests call
/// ``handle(_:node:)`` directly on time they move themselves. Both run these rules.
///
/// It is at least as strict as GWS: CSRF on every POST, HTTP sessions that expire, and
/// on a cluster, sessions that exist on one node only.
public actor GWSEngine {
    /// The CometD endpoint path.
    public static let notificationsPath = "/api/v2/notifications"

    let configuration: SimulatorConfiguration
    /// Totals for tests and `/sim/control/counters`.
    public nonisolated let counters = SimulatorCounters()
    /// The clock of every hold, timeout, delay, session age and scripted change.
    public nonisolated let clock: InjectedClock
    var nodes: [EngineNode]
    var agents: [String: SimulatedAgent]
    /// The usernames, in configuration order (scripted activity goes through them).
    let usernames: [String]
    var faults = FaultPlan()
    var log: [LoggedRequest] = []
    /// Each node's base URL, as the transport serving it says (resources carry URLs).
    var baseURLs: [String]
    var activity: Task<Void, Never>?
    /// Calls made so far, for call ids.
    var callsMade = 0
    /// Added to the clock for HTTP-session ages (``advanceSessionClock(by:)``).
    var sessionClockOffset: Duration = .zero

    /// The instant HTTP sessions are aged by.
    var sessionNow: ContinuousClock.Instant { clock.now + sessionClockOffset }

    public init(configuration: SimulatorConfiguration = SimulatorConfiguration(), clock: InjectedClock = .system) {
        self.configuration = configuration
        self.clock = clock
        let counters = self.counters
        nodes = (0..<configuration.nodes).map { _ in
            EngineNode(
                httpSessions: HTTPSessions(idleTimeout: configuration.httpSessionTimeout),
                cometd: CometDEngine(settings: configuration.cometd, counters: counters, clock: clock))
        }
        agents = Dictionary(configuration.agents.map { ($0.username, $0) }, uniquingKeysWith: { first, _ in first })
        usernames = configuration.agents.map(\.username)
        baseURLs = (0..<configuration.nodes).map { "http://gws\($0 + 1).invalid" }
    }

    /// How many nodes the cluster has.
    public nonisolated var nodeCount: Int { configuration.nodes }

    /// Tells the engine the URL each node is served at (resources in replies carry it).
    public func serve(at urls: [String]) {
        for (index, url) in urls.enumerated() where baseURLs.indices.contains(index) { baseURLs[index] = url }
    }

    /// The first node's base URL.
    var baseURL: String { baseURLs[0] }

    /// Stops scripted activity and forgets every session, as the end of the server does.
    public func shutDown() async {
        activity?.cancel()
        activity = nil
        for index in nodes.indices { await crash(node: index) }
    }

    /// Node `index` (every node when nil) loses its HTTP and Bayeux sessions, as a crash
    /// or restart does; held connects end.
    public func crash(node index: Int? = nil) async {
        for i in index.map({ [$0] }) ?? Array(nodes.indices) {
            await nodes[i].cometd.dropAllSessions()
            nodes[i].httpSessions.removeAll()
        }
    }

    // MARK: Serving

    /// Answers one request that reached node `node`: REST, CometD, or an injected fault.
    public func handle(_ request: RecordedRequest, node: Int) async -> ScriptedResponse {
        let parts = RequestParts(request)
        counters.increment(.requests)
        let isCometD = parts.path.hasPrefix(Self.notificationsPath)
        var response: ScriptedResponse
        let hasSession = parts.cookies["JSESSIONID"] != nil
        var fault = faults.next(
            cometd: isCometD, inSession: hasSession, calls: parts.path.hasPrefix("/api/v2/me/calls"))
        let faulted = fault != nil
        if case .delay(let duration)? = fault {
            counters.increment(.faultsApplied)
            try? await clock.sleep(for: duration)
            fault = nil
        }
        if case .echo(let status)? = fault {
            counters.increment(.faultsApplied)
            let echoed = request.headers.map { "\($0.name): \($0.value)" }.joined(separator: ", ")
            response = .respond(
                status: status, headers: [("Content-Type", "text/plain")],
                body: Array("refused; you sent \(echoed)".utf8))
        } else if let fault {
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
        case .manyObjects(let count):
            var body = Array("[{\"channel\":\"/v2/me/devices\",\"data\":{\"list\":[".utf8)
            body.reserveCapacity(body.count + 3 * count + 4)
            for index in 0..<max(1, count) { body += index == 0 ? Array("{}".utf8) : Array(",{}".utf8) }
            body += Array("]}}]".utf8)
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
        case .echo(let status):
            return .htmlError(status)
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
                node: node, cookies: parts.cookies.keys.sorted(), faulted: faulted, at: clock.now))
        if log.count > 10_000 { log.removeFirst(log.count - 10_000) }
    }

    var notFound: JSONValue { ["statusCode": 6, "statusMessage": "Resource not found"] }
}

/// One GWS node of the simulated cluster: its HTTP sessions and its CometD engine. Nothing
/// here is shared with the other nodes, as on a GWS cluster without session replication:
/// a client that moves to another node meets an unknown `JSESSIONID` (so a CSRF refusal)
/// and an unknown Bayeux session.
struct EngineNode {
    var httpSessions: HTTPSessions
    let cometd: CometDEngine
}
