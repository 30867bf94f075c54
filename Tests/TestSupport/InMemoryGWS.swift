import GWSSimulator
import HTTPTransport
import Locking
import ScriptedHTTPServer
import Timekeeping

/// gws-sim's rules (``GWSEngine``) served in memory, for in-process tests of the daemon:
/// each ``client()`` is one cookie jar, as a fresh `CurlHTTPClient` is, and its requests go
/// straight to the engine. Time is the test's (a ``ManualTime``): holds, timeouts and
/// backoffs pass when the test moves it. Nodes can be stopped and started; a stopped node
/// refuses connections and a restart resets the requests it was serving.
public final class InMemoryGWS: Sendable {
    private struct State {
        var down: Set<Int> = []
        /// Bumped by every stop or restart of a node: a request that began before ends with a reset.
        var epochs: [Int]
        var inFlight = 0
        /// Requests the engine will never answer (a `hang` fault): only their timeout ends them.
        var hanging = 0
        /// Connections refused by each node while it was down.
        var refused: [Int: Int] = [:]
    }

    /// The rules, the agents and the request log.
    public let engine: GWSEngine
    /// The time everything here runs on.
    public let time: ManualTime
    /// Each node's base URL (`https://gwsN.test:8443`).
    public let baseURLs: [String]
    private let state: Locked<State>
    /// The largest response body a client accepts (as the daemon's libcurl transport does).
    public static let responseLimit = 1 << 20

    public init(configuration: SimulatorConfiguration, time: ManualTime) async {
        self.time = time
        engine = GWSEngine(configuration: configuration, clock: time.clock)
        baseURLs = (0..<configuration.nodes).map { "https://gws\($0 + 1).test:8443" }
        state = Locked(State(epochs: Array(repeating: 0, count: configuration.nodes)))
        await engine.serve(at: baseURLs)
    }

    /// A new HTTP client with an empty cookie jar.
    public func client() -> InMemoryHTTPClient { InMemoryHTTPClient(gws: self) }

    /// Requests being served now (a parked long poll counts).
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Requests in flight that wait for time only: the engine gave them no answer (a `hang`).
    public var hanging: Int { state.withLock { $0.hanging } }

    /// A request of a client was left unanswered (`true`), or ended (`false`).
    func hangs(_ hanging: Bool) { state.withLock { $0.hanging += hanging ? 1 : -1 } }

    /// How many connections node `index` refused while down.
    public func refusedConnections(node index: Int) -> Int { state.withLock { $0.refused[index, default: 0] } }

    /// Node `index` stops: its requests in flight are reset, new connections refused, and
    /// it forgets every session.
    public func stop(node index: Int) async {
        state.withLock {
            $0.down.insert(index)
            $0.epochs[index] += 1
        }
        await engine.crash(node: index)
    }

    /// Node `index` listens again (with no session).
    public func start(node index: Int) {
        _ = state.withLock { $0.down.remove(index) }
    }

    /// A restart of node `index`: requests in flight reset, every session gone, up again at once.
    public func restart(node index: Int = 0) async {
        await stop(node: index)
        start(node: index)
    }

    /// The node `url` belongs to, and the path after its base URL.
    func route(_ url: String) -> (node: Int, path: String)? {
        guard let node = baseURLs.firstIndex(where: { url.hasPrefix($0 + "/") }) else { return nil }
        return (node, String(url.dropFirst(baseURLs[node].count)))
    }

    /// The epoch of `node` when a request begins, or `nil` when the node is down.
    func begin(node: Int) -> Int? {
        state.withLock { state in
            guard !state.down.contains(node) else {
                state.refused[node, default: 0] += 1
                return nil
            }
            state.inFlight += 1
            return state.epochs[node]
        }
    }

    /// Ends a request begun in `epoch`; false when the node stopped or restarted meanwhile.
    func end(node: Int, epoch: Int) -> Bool {
        state.withLock { state in
            state.inFlight -= 1
            return state.epochs[node] == epoch
        }
    }
}

/// One cookie jar talking to an ``InMemoryGWS``, as one `CurlHTTPClient` talks to GWS:
/// cookies kept and sent, the request's timeout kept on the test's time, cancellation
/// honoured at once, a response past the size limit refused.
public final class InMemoryHTTPClient: HTTPClient {
    private struct State {
        var jar: [String: String] = [:]
        var closed = false
        /// The requests in flight, so that ``shutdown()`` can fail them.
        var pending: [UInt64: Once<Result<HTTPResponse, TransportError>>] = [:]
        var nextRequest: UInt64 = 0
    }

    private let gws: InMemoryGWS
    private let state = Locked(State())

    init(gws: InMemoryGWS) {
        self.gws = gws
    }

    public func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        guard !state.withLock({ $0.closed }) else { throw .shutDown }
        guard let (node, path) = gws.route(request.url) else { throw .resolve("unknown host in \(request.url)") }
        guard let epoch = gws.begin(node: node) else { throw .connect("Connection refused") }
        var headers = request.headers.map { (name: $0.name, value: $0.value) }
        let jar = state.withLock { $0.jar }
        if !jar.isEmpty {
            headers.append(
                ("Cookie", jar.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")))
        }
        let recorded = RecordedRequest(
            method: request.method.rawValue, uri: path, headers: headers, body: request.body, connection: 1)
        let outcome = await race(recorded, node: node, timeout: request.timeout)
        let current = gws.end(node: node, epoch: epoch)
        guard current else { throw .reset("connection closed by the server") }
        guard !state.withLock({ $0.closed }) else { throw .shutDown }
        let response = try outcome.get()
        for header in response.headers where header.name.lowercased() == "set-cookie" {
            let pair = header.value.split(separator: ";", maxSplits: 1).first ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            state.withLock { $0.jar[String(parts[0]).trimmingSpaces] = String(parts[1]) }
        }
        return response
    }

    /// The engine's answer, the request's timeout on the test's time, or the caller's
    /// cancellation, whichever comes first.
    private func race(
        _ request: RecordedRequest, node: Int, timeout: Duration
    ) async -> Result<HTTPResponse, TransportError> {
        let once = Once<Result<HTTPResponse, TransportError>>()
        let gws = self.gws
        let engine = gws.engine
        let clock = gws.time.clock
        let number = state.withLock { state -> UInt64? in
            guard !state.closed else { return nil }
            state.nextRequest += 1
            state.pending[state.nextRequest] = once
            return state.nextRequest
        }
        guard let number else { return .failure(.shutDown) }
        defer { _ = state.withLock { $0.pending.removeValue(forKey: number) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                once.set(continuation)
                let serve = Task {
                    // A response that never comes (`hang`) leaves the timeout or a cancellation to end it.
                    if let result = Self.convert(await engine.handle(request, node: node)) {
                        once.resume(with: result)
                    } else {
                        gws.hangs(true)
                        once.onResume { gws.hangs(false) }
                    }
                }
                let deadline = clock.now + timeout
                let timer = Task {
                    guard (try? await clock.sleep(until: deadline)) != nil else { return }
                    once.resume(with: .failure(.timeout))
                }
                // Whoever wins, the others stop: a poll the client gave up on is not held on.
                once.onResume {
                    timer.cancel()
                    serve.cancel()
                }
            }
        } onCancel: {
            once.resume(with: .failure(.cancelled))
        }
    }

    /// What a client sees of each scripted response; `nil` for one that never comes.
    static func convert(_ response: ScriptedResponse) -> Result<HTTPResponse, TransportError>? {
        switch response {
        case .respond(let status, let headers, let body):
            guard body.count <= InMemoryGWS.responseLimit else {
                return .failure(.responseTooLarge(limit: InMemoryGWS.responseLimit))
            }
            return .success(HTTPResponse(status: status, headers: headers.map { HTTPHeader($0.0, $0.1) }, body: body))
        case .trickle(let body, _):
            return .success(HTTPResponse(status: 200, body: body))
        case .truncated, .close:
            return .failure(.reset("connection closed by the server"))
        case .endlessChunked:
            return .failure(.responseTooLarge(limit: InMemoryGWS.responseLimit))
        case .hang:
            return nil
        }
    }

    public func clearCookies() async { state.withLock { $0.jar = [:] } }

    /// Ends the client: its requests in flight fail at once with `shutDown`, as later ones do.
    public func shutdown() {
        let pending = state.withLock { state in
            state.closed = true
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        for once in pending { once.resume(with: .failure(.shutDown)) }
    }
}

/// A continuation resumed exactly once, by whichever of several racers comes first.
final class Once<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, Never>?
        var early: Value?
        var done = false
        var onResume: [@Sendable () -> Void] = []
    }

    private let state = Locked(State())

    func set(_ continuation: CheckedContinuation<Value, Never>) {
        let early = state.withLock { state -> Value? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    /// Runs `action` once the value is in (at once when it already is); actions add up.
    func onResume(_ action: @escaping @Sendable () -> Void) {
        let run = state.withLock { state -> Bool in
            if state.done { return true }
            state.onResume.append(action)
            return false
        }
        if run { action() }
    }

    func resume(with value: Value) {
        let (continuation, actions) = state.withLock {
            state -> (CheckedContinuation<Value, Never>?, [@Sendable () -> Void]) in
            guard !state.done else { return (nil, []) }
            state.done = true
            if state.continuation == nil { state.early = value }
            defer {
                state.continuation = nil
                state.onResume = []
            }
            return (state.continuation, state.onResume)
        }
        continuation?.resume(returning: value)
        for action in actions { action() }
    }
}

extension String {
    var trimmingSpaces: String { String(drop { $0 == " " }) }
}
