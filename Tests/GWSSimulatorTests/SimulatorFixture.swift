import BayeuxCore
import CurlTransport
import GWSSimulator
import HTTPTransport
import JSON
import Locking
import Testing
import Timekeeping

/// A simulator started on a random loopback port, plus a libcurl client with its own
/// cookie jar for raw REST and CometD exchanges.
struct SimulatorFixture {
    let simulator: GWSSimulator
    let url: String
    let http: CurlHTTPClient
    /// The CSRF header of the HTTP session the fixture's CometD posts belong to.
    private let csrf = Locked<HTTPHeader?>(nil)

    static let basic = HTTPHeader("Authorization", "Basic YWdlbnQxOnNlY3JldA==")  // agent1:secret

    init(
        _ configuration: SimulatorConfiguration = SimulatorConfiguration(
            cometd: CometDSettings(timeout: .milliseconds(500), maxInterval: .seconds(10))),
        clock: InjectedClock = .system
    )
        async throws
    {
        simulator = GWSSimulator(configuration: configuration, clock: clock)
        url = try await simulator.start()
        http = try #require(CurlHTTPClient())
    }

    func stop() async {
        http.shutdown()
        await simulator.stop()
    }

    /// A GET with Basic credentials.
    func get(_ path: String, headers: [HTTPHeader] = [basic]) async throws -> HTTPResponse {
        try await http.perform(HTTPRequest(method: .get, url: url + path, headers: headers))
    }

    /// A POST of `body`.
    func post(_ path: String, _ body: String, headers: [HTTPHeader]) async throws -> HTTPResponse {
        try await http.perform(HTTPRequest(method: .post, url: url + path, headers: headers, body: Array(body.utf8)))
    }

    /// Logs in with GET /api/v2/me and returns the CSRF header to send on POSTs.
    func login() async throws -> HTTPHeader {
        let response = try await get("/api/v2/me")
        let name = try #require(response.header("X-CSRF-HEADER"))
        return HTTPHeader(name, try #require(response.header("X-CSRF-TOKEN")))
    }

    /// The CSRF header of the fixture's HTTP session, logging in on first use.
    func sessionCSRF() async throws -> HTTPHeader {
        if let header = csrf.withLock({ $0 }) { return header }
        let header = try await login()
        csrf.withLock { $0 = header }
        return header
    }

    /// Logs in again (after the cookies were cleared, for example) for a new CSRF token.
    func relogin() async throws {
        let header = try await login()
        csrf.withLock { $0 = header }
    }

    /// Posts Bayeux messages to the notifications endpoint, in the fixture's HTTP session
    /// (cookie and CSRF token, as GWS requires on every POST).
    func bayeux(_ messages: [BayeuxMessage], timeout: Duration = .seconds(10)) async throws -> (Int, [BayeuxMessage]) {
        let response = try await http.perform(
            HTTPRequest(
                method: .post, url: url + GWSSimulator.notificationsPath,
                headers: [Self.basic, HTTPHeader("Content-Type", "application/json"), try await sessionCSRF()],
                body: BayeuxCodec.encode(messages),
                timeout: timeout))
        return (response.status, response.status == 200 ? try BayeuxCodec.decode(response.body) : [])
    }

    /// Handshakes (optionally offering acks) and returns the client id.
    func handshake(ack: Bool = false) async throws -> String {
        var message = BayeuxMessage(
            channel: "/meta/handshake", ["id": "h", "version": "1.0", "supportedConnectionTypes": ["long-polling"]])
        if ack { message.setExt("ack", true) }
        let (_, replies) = try await bayeux([message])
        return try #require(replies.first?.clientId)
    }
}

/// A Bayeux message with an id and a client id.
func meta(_ channel: String, _ clientId: String, id: String = "1", _ extra: JSONObject = [:]) -> BayeuxMessage {
    var message = BayeuxMessage(channel: channel, extra)
    message.id = id
    message.clientId = clientId
    if channel == "/meta/connect" { message.fields["connectionType"] = "long-polling" }
    return message
}
