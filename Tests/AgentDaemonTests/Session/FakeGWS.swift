import BayeuxCore
import FoundationEssentials
import HTTPTransport
import JSON
import Locking

/// A GWS cluster in memory, as strict as gws-sim, for the session layer's in-process
/// tests: HTTP Basic, node-local HTTP sessions with CSRF checked on every POST (CometD
/// included), CometD sessions bound to their browser cookie, and long polls that stay
/// parked until the test wakes them. Nothing here reads a clock: time is the test's.
///
/// Each ``client()`` is one cookie jar, as a fresh `CurlHTTPClient` is.
final class FakeGWS: Sendable {
    /// One request as the fake saw it.
    struct Request: Sendable, Equatable {
        var node: Int
        var method: String
        var path: String
        /// Bayeux channels of a CometD POST.
        var channels: [String]
        /// Names of the cookies sent.
        var cookies: [String]
        /// The HTTP status answered, or 0 when the transport failed.
        var status: Int

        var isLogin: Bool { method == "GET" && path.hasPrefix("/api/v2/me") }
    }

    struct HTTPSession {
        var username: String
        var csrf: String
    }

    struct BayeuxSession {
        var browser: String
        var subscriptions: Set<String> = []
        var queue: [BayeuxMessage] = []
        /// The parked long poll: its reply is sent when events come or the test wakes it.
        var held: CheckedContinuation<Result<[BayeuxMessage], TransportError>, Never>?
    }

    struct Node {
        var up = true
        var httpSessions: [String: HTTPSession] = [:]
        var bayeux: [String: BayeuxSession] = [:]
    }

    struct State {
        var nodes: [Node]
        var password: String
        var agentState = "NotReady"
        var dnd = false
        var log: [Request] = []
        var nextID = 0
        /// Requests being served (a parked long poll counts).
        var inFlight = 0
        /// The next snapshot GETs of a running session are answered with this status.
        var refuseSnapshots: [Int] = []
        /// Answer every CometD POST with 403, even in a valid session.
        var refuseCometD = false
    }

    let baseURLs: [String]
    let username: String
    private let state: Locked<State>

    init(nodes: Int = 1, username: String = "agent1", password: String) {
        baseURLs = (0..<nodes).map { "http://gws\($0 + 1).test:8080" }
        self.username = username
        state = Locked(State(nodes: Array(repeating: Node(), count: nodes), password: password))
    }

    /// A new HTTP client with an empty cookie jar.
    func client() -> FakeHTTPClient { FakeHTTPClient(gws: self) }

    // MARK: Faults and changes, as the test makes them

    /// Every request so far, oldest first.
    var requests: [Request] { state.withLock { $0.log } }
    var logins: [Request] { requests.filter(\.isLogin) }
    var inFlight: Int { state.withLock { $0.inFlight } }
    var parkedPolls: Int {
        state.withLock { $0.nodes.reduce(0) { $0 + $1.bayeux.values.filter { $0.held != nil }.count } }
    }
    var handshakes: Int { requests.filter { $0.channels.contains("/meta/handshake") && $0.status == 200 }.count }

    /// Changes the agent and delivers the notifications (devices and channels) to every
    /// subscribed session: a parked poll is answered with them, other sessions queue them.
    func change(state agentState: String, dnd: Bool? = nil) {
        typealias Held = CheckedContinuation<Result<[BayeuxMessage], TransportError>, Never>
        let woken = state.withLock { state -> [(Held, [BayeuxMessage])] in
            state.agentState = agentState
            if let dnd { state.dnd = dnd }
            let messages = [
                Self.deviceMessage(state: agentState, dnd: state.dnd),
                Self.channelMessage(state: agentState, dnd: state.dnd),
            ]
            var woken: [(Held, [BayeuxMessage])] = []
            for n in state.nodes.indices {
                for (id, session) in state.nodes[n].bayeux {
                    let wanted = messages.filter { session.subscriptions.contains($0.channel) }
                    guard !wanted.isEmpty else { continue }
                    if let held = session.held {
                        state.nodes[n].bayeux[id]?.held = nil
                        woken.append((held, session.queue + wanted))
                        state.nodes[n].bayeux[id]?.queue = []
                    } else {
                        state.nodes[n].bayeux[id]?.queue += wanted
                    }
                }
            }
            return woken
        }
        for (continuation, messages) in woken { continuation.resume(returning: .success(messages)) }
    }

    /// Forgets every HTTP session, as their idle timeout would; parked polls end normally
    /// (as they would at their hold time), so the next POST meets the loss.
    func expireHTTPSessions() {
        wakeAll { node in node.httpSessions = [:] }
    }

    /// A restart of node `index`: every session of both kinds gone, parked polls reset.
    func restart(node index: Int = 0) {
        let held = state.withLock { state -> [CheckedContinuation<Result<[BayeuxMessage], TransportError>, Never>] in
            let held = state.nodes[index].bayeux.values.compactMap(\.held)
            state.nodes[index] = Node()
            return held
        }
        for continuation in held { continuation.resume(returning: .failure(.reset("connection closed by the server"))) }
    }

    /// Node `index` stops: parked polls reset, new connections refused.
    func stop(node index: Int) {
        restart(node: index)
        state.withLock { $0.nodes[index].up = false }
    }

    /// The agent's password changes on the server (the old one gets 401 from now on).
    func changePassword(_ password: String) {
        wakeAll { _ in }
        state.withLock { $0.password = password }
    }

    /// The next `count` snapshot GETs inside a session are answered with `status`.
    func refuseSnapshots(_ status: Int, count: Int = 1) {
        state.withLock { $0.refuseSnapshots += Array(repeating: status, count: count) }
    }

    /// Whether every CometD POST is refused with 403 (a server that accepts every login
    /// and refuses the next request).
    func refuseCometD(_ refuse: Bool) { state.withLock { $0.refuseCometD = refuse } }

    /// Answers every parked poll now (empty), after changing each node with `change`.
    func wakeAll(_ change: (inout Node) -> Void = { _ in }) {
        let held = state.withLock { state -> [CheckedContinuation<Result<[BayeuxMessage], TransportError>, Never>] in
            var held: [CheckedContinuation<Result<[BayeuxMessage], TransportError>, Never>] = []
            for n in state.nodes.indices {
                change(&state.nodes[n])
                for id in state.nodes[n].bayeux.keys {
                    if let continuation = state.nodes[n].bayeux[id]?.held { held.append(continuation) }
                    state.nodes[n].bayeux[id]?.held = nil
                }
            }
            return held
        }
        for continuation in held { continuation.resume(returning: .success([])) }
    }

    // MARK: Serving

    func node(of url: String) -> Int? { baseURLs.firstIndex { url.hasPrefix($0 + "/") } }

    /// Serves one request of a client with `cookies`; returns the response and the
    /// cookies it sets.
    func serve(
        _ request: HTTPRequest, cookies: [String: String]
    ) async throws(TransportError) -> (HTTPResponse, [String: String]) {
        guard let node = node(of: request.url) else { throw .resolve(request.url) }
        let path = String(request.url.dropFirst(baseURLs[node].count))
        let messages = (try? BayeuxCodec.decode(request.body)) ?? []
        var logged = Request(
            node: node, method: request.method.rawValue, path: path, channels: messages.map(\.channel),
            cookies: cookies.keys.sorted(), status: 0)
        guard state.withLock({ $0.nodes[node].up }) else {
            state.withLock { $0.log.append(logged) }
            throw .connect("Connection refused")
        }
        state.withLock { $0.inFlight += 1 }
        defer { state.withLock { $0.inFlight -= 1 } }
        do {
            let (response, setCookies) = try await answer(
                request, node: node, path: path, messages: messages, cookies: cookies)
            logged.status = response.status
            state.withLock { $0.log.append(logged) }
            return (response, setCookies)
        } catch {
            state.withLock { $0.log.append(logged) }
            throw error
        }
    }

    private func answer(
        _ request: HTTPRequest, node: Int, path: String, messages: [BayeuxMessage], cookies: [String: String]
    ) async throws(TransportError) -> (HTTPResponse, [String: String]) {
        // Authentication: Basic must match; a cookie of a live session on this node reuses it.
        let basic = request.headers.first { $0.name == "Authorization" }?.value
        let expected = "Basic " + Data("\(username):\(state.withLock { $0.password })".utf8).base64EncodedString()
        guard basic == expected else { return (Self.status(401, "User not authenticated"), [:]) }
        var setCookies: [String: String] = [:]
        let session = state.withLock { state -> (id: String, csrf: String, existed: Bool) in
            if let id = cookies["JSESSIONID"], let existing = state.nodes[node].httpSessions[id] {
                return (id, existing.csrf, true)
            }
            state.nextID += 1
            let id = "s\(state.nextID)"
            let csrf = "csrf-\(state.nextID)"
            state.nodes[node].httpSessions[id] = HTTPSession(username: username, csrf: csrf)
            return (id, csrf, false)
        }
        if !session.existed { setCookies["JSESSIONID"] = session.id }
        if request.method == .get {
            guard path.hasPrefix("/api/v2/me") else { return (Self.status(404, "not found"), setCookies) }
            let refusal = state.withLock { state -> Int? in
                session.existed && !state.refuseSnapshots.isEmpty ? state.refuseSnapshots.removeFirst() : nil
            }
            if let refusal { return (Self.status(refusal, "refused"), setCookies) }
            var response = HTTPResponse(status: 200, body: snapshotBody())
            response.headers = [HTTPHeader("X-CSRF-HEADER", "X-CSRF-TOKEN"), HTTPHeader("X-CSRF-TOKEN", session.csrf)]
            return (response, setCookies)
        }
        let csrf = request.headers.first { $0.name == "X-CSRF-TOKEN" }?.value
        guard session.existed, csrf == session.csrf,
            !state.withLock({ $0.refuseCometD && path.hasSuffix("notifications") })
        else {
            return (HTTPResponse(status: 403, body: Array("Missing or invalid Csrf token".utf8)), setCookies)
        }
        guard path == "/api/v2/notifications" else {
            return (HTTPResponse(status: 200, body: Array(#"{"statusCode":0}"#.utf8)), setCookies)
        }
        var replies: [BayeuxMessage] = []
        for message in messages {
            let (reply, browser) = try await bayeux(message, node: node, browser: cookies["BAYEUX_BROWSER"])
            if let browser { setCookies["BAYEUX_BROWSER"] = browser }
            replies += reply
        }
        return (HTTPResponse(status: 200, body: BayeuxCodec.encode(replies)), setCookies)
    }

    private func bayeux(
        _ message: BayeuxMessage, node: Int, browser: String?
    ) async throws(TransportError) -> ([BayeuxMessage], String?) {
        var reply = BayeuxMessage(channel: message.channel, ["successful": true])
        reply.id = message.id
        if message.channel == "/meta/handshake" {
            let (id, cookie) = state.withLock { state -> (String, String) in
                state.nextID += 1
                let cookie = browser ?? "b\(state.nextID)"
                state.nodes[node].bayeux["c\(state.nextID)"] = BayeuxSession(browser: cookie)
                return ("c\(state.nextID)", cookie)
            }
            reply.clientId = id
            reply.fields["version"] = "1.0"
            reply.fields["supportedConnectionTypes"] = ["long-polling"]
            reply.fields["advice"] = ["reconnect": "retry", "interval": 0, "timeout": 30_000]
            return ([reply], browser == nil ? cookie : nil)
        }
        let id = message.clientId ?? ""
        let known = state.withLock { $0.nodes[node].bayeux[id].map { $0.browser == browser } ?? false }
        guard known else {
            reply.fields["successful"] = false
            reply.fields["error"] = "402::session_unknown"
            if message.channel == "/meta/connect" {
                reply.fields["advice"] = ["reconnect": "handshake", "interval": 0]
            }
            return ([reply], nil)
        }
        switch message.channel {
        case "/meta/subscribe":
            reply.fields["subscription"] = message.fields["subscription"]
            state.withLock { state in
                for s in message.subscriptions { state.nodes[node].bayeux[id]?.subscriptions.insert(s) }
            }
            return ([reply], nil)
        case "/meta/connect":
            let immediate = message.fields["advice"]?["timeout"]?.intValue == 0
            let queued = state.withLock { state -> [BayeuxMessage]? in
                let queue = state.nodes[node].bayeux[id]?.queue ?? []
                guard immediate || !queue.isEmpty else { return nil }
                state.nodes[node].bayeux[id]?.queue = []
                return queue
            }
            if let queued { return (queued + [reply], nil) }
            let woken = await withTaskCancellationHandler {
                await withCheckedContinuation {
                    (continuation: CheckedContinuation<Result<[BayeuxMessage], TransportError>, Never>) in
                    let parked = state.withLock { state -> Bool in
                        guard state.nodes[node].bayeux[id] != nil else { return false }
                        state.nodes[node].bayeux[id]?.held = continuation
                        return true
                    }
                    if !parked { continuation.resume(returning: .failure(.reset("session gone"))) }
                }
            } onCancel: {
                let held = state.withLock {
                    state -> CheckedContinuation<Result<[BayeuxMessage], TransportError>, Never>? in
                    let held = state.nodes[node].bayeux[id]?.held
                    state.nodes[node].bayeux[id]?.held = nil
                    return held
                }
                held?.resume(returning: .failure(.cancelled))
            }
            switch woken {
            case .success(let events): return (events + [reply], nil)
            case .failure(let error): throw error
            }
        case "/meta/disconnect":
            // The held poll is answered too, as CometD does on a disconnect.
            let held = state.withLock { $0.nodes[node].bayeux.removeValue(forKey: id)?.held }
            held?.resume(returning: .success([]))
            return ([reply], nil)
        default:
            return ([reply], nil)
        }
    }

    private func snapshotBody() -> [UInt8] {
        let (agentState, dnd) = state.withLock { ($0.agentState, $0.dnd) }
        let body: JSONValue = [
            "statusCode": 0,
            "user": [
                "userName": .string(username),
                "devices": [Self.device(state: agentState, dnd: dnd)],
                "channels": [
                    ["channel": "voice", "dndState": dnd ? "On" : "Off", "userState": ["state": .string(agentState)]]
                ],
            ],
        ]
        return JSONWriter.bytes(body)
    }

    static func device(state: String, dnd: Bool) -> JSONValue {
        [
            "id": "d1", "deviceState": "Active", "userState": ["state": .string(state)],
            "doNotDisturb": dnd ? "On" : "Off",
        ]
    }

    static func deviceMessage(state: String, dnd: Bool) -> BayeuxMessage {
        BayeuxMessage(
            channel: "/v2/me/devices",
            ["data": ["messageType": "DeviceStateChangeMessage", "devices": [device(state: state, dnd: dnd)]]])
    }

    static func channelMessage(state: String, dnd: Bool) -> BayeuxMessage {
        BayeuxMessage(
            channel: "/v2/me/channels",
            [
                "data": [
                    "messageType": "ChannelStateChangeMessageV2",
                    "channels": [
                        ["channel": "voice", "dndState": dnd ? "On" : "Off", "userState": ["state": .string(state)]]
                    ],
                ]
            ])
    }

    static func status(_ code: Int, _ message: String) -> HTTPResponse {
        HTTPResponse(status: code, body: JSONWriter.bytes(["statusCode": 20, "statusMessage": .string(message)]))
    }
}

/// One cookie jar talking to a ``FakeGWS``, as one `CurlHTTPClient` would.
final class FakeHTTPClient: HTTPClient {
    let gws: FakeGWS
    private let jar = Locked<[String: String]>([:])
    private let closed = Locked(false)

    init(gws: FakeGWS) {
        self.gws = gws
    }

    func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        guard !closed.withLock({ $0 }) else { throw .shutDown }
        let (response, cookies) = try await gws.serve(request, cookies: jar.withLock { $0 })
        if Task.isCancelled { throw .cancelled }
        guard !closed.withLock({ $0 }) else { throw .shutDown }
        jar.withLock { $0.merge(cookies) { _, new in new } }
        return response
    }

    func clearCookies() async { jar.withLock { $0 = [:] } }

    func shutdown() { closed.withLock { $0 = true } }
}
