import Glibc
import JSON
import ScriptedHTTPServer
import Timekeeping

/// gws-sim's server: a ``GWSEngine`` served over HTTP/1.1 (SwiftNIO) on consecutive ports,
/// one per node, with the control endpoint `/sim/control` (docs/simulator.md) beside it.
///
/// The rules (REST, CometD, HTTP sessions, faults) are the engine's; this type only
/// listens, stops and restarts nodes, and answers the control endpoint.
public actor GWSSimulator {
    /// The CometD endpoint path.
    public static let notificationsPath = GWSEngine.notificationsPath

    /// The rules this server serves; tests change agents and inject faults through it.
    public nonisolated let engine: GWSEngine
    let configuration: SimulatorConfiguration
    private var servers: [ScriptedHTTPServer?]
    private var ports: [Int]
    private var host = "127.0.0.1"
    /// Kept for restarts: told when each response has been written.
    private var writeObserver: ScriptedHTTPServer.WriteObserver?

    public init(configuration: SimulatorConfiguration = SimulatorConfiguration(), clock: InjectedClock = .system) {
        self.configuration = configuration
        engine = GWSEngine(configuration: configuration, clock: clock)
        servers = Array(repeating: nil, count: configuration.nodes)
        ports = Array(repeating: 0, count: configuration.nodes)
    }

    /// Totals for tests and `/sim/control/counters` (the engine's).
    public nonisolated var counters: SimulatorCounters { engine.counters }

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
        // With a random first port, the next ones may be taken: try a few first ports. A
        // cluster's ports are picked below the kernel's ephemeral range, so that no outgoing
        // connection can take a stopped node's port before it listens again.
        let cluster = port == 0 && servers.count > 1
        let attempts = cluster ? 20 : 1
        for attempt in 1...attempts {
            do {
                let first = try await listen(node: 0, port: cluster ? Self.clusterPort(nodes: servers.count) : port)
                for index in servers.indices.dropFirst() { _ = try await listen(node: index, port: first + index) }
                break
            } catch {
                for index in servers.indices { await stopListening(node: index) }
                if attempt == attempts { throw error }
            }
        }
        await engine.serve(at: baseURLs)
        return baseURL
    }

    /// A random first port for a cluster of `nodes`, below the ephemeral range
    /// (`/proc/sys/net/ipv4/ip_local_port_range`; 32768 when it cannot be read).
    private static func clusterPort(nodes: Int) -> Int {
        var ephemeralStart = 32768
        if let file = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r") {
            defer { fclose(file) }
            var line = [CChar](repeating: 0, count: 64)
            if fgets(&line, Int32(line.count), file) != nil,
                let low = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    .split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap({ Int($0) }),
                low > 2048
            {
                ephemeralStart = low
            }
        }
        return Int.random(in: 1024..<(ephemeralStart - nodes))
    }

    /// Binds node `index` to `port`; returns the port bound.
    private func listen(node index: Int, port: Int) async throws -> Int {
        let server = try await ScriptedHTTPServer.start(host: host, port: port, onWrite: writeObserver) {
            [weak self] request in
            guard let self else { return .close }
            return await self.handle(request, node: index)
        }
        servers[index] = server
        ports[index] = server.port
        return server.port
    }

    /// `http://host:port` of the first node.
    public var baseURL: String { baseURL(node: 0) }

    /// `http://host:port` of node `index`.
    public func baseURL(node index: Int) -> String { "http://\(host):\(ports[index])" }

    /// Every node's base URL, in node order.
    public var baseURLs: [String] { servers.indices.map { baseURL(node: $0) } }

    /// Stops listening everywhere, drops every session and connection, and stops scripted activity.
    public func stop() async {
        for index in servers.indices { await stopListening(node: index) }
        await engine.shutDown()
    }

    /// Closes node `index`'s listener (every node when nil) and its connections, and
    /// forgets its HTTP and Bayeux sessions, like a crash.
    public func stopListening(node index: Int? = nil) async {
        for i in index.map({ [$0] }) ?? Array(servers.indices) {
            guard let server = servers[i] else { continue }
            // Down only once the listener is closed: a start right after must find the port free.
            await server.stop()
            if servers[i] === server { servers[i] = nil }
            await engine.crash(node: i)
        }
    }

    /// Listens again on the same port after ``stopListening(node:)`` (every stopped node when nil).
    public func startListening(node index: Int? = nil) async throws {
        for i in index.map({ [$0] }) ?? Array(servers.indices) where servers[i] == nil {
            _ = try await listen(node: i, port: ports[i])
        }
    }

    /// A restart of node `index` (every node when nil): down for `downtime` of the engine's
    /// clock, then up on the same port with no HTTP session and no Bayeux session.
    public func restart(downtime: Duration = .zero, node index: Int? = nil) async throws {
        await stopListening(node: index)
        if downtime > .zero { try? await engine.clock.sleep(for: downtime) }
        try await startListening(node: index)
    }

    /// Whether node `index` is listening.
    public func isUp(node index: Int) -> Bool { servers[index] != nil }

    /// How many nodes the cluster has.
    public nonisolated var nodeCount: Int { configuration.nodes }

    /// Raises this process's soft limit of open files to its hard limit (at most 2^20).
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 1 << 20)
        _ = setrlimit(resource, &limit)
    }

    // MARK: Routing

    func handle(_ request: RecordedRequest, node: Int) async -> ScriptedResponse {
        if request.uri.hasPrefix("/sim/") {
            let parts = RequestParts(request)
            return configuration.controlEndpoint ? await control(request, parts) : .json(notFound, status: 404)
        }
        return await engine.handle(request, node: node)
    }

    var notFound: JSONValue { ["statusCode": 6, "statusMessage": "Resource not found"] }
}
