import CurlTransport
import HTTPTransport
import ScriptedHTTPServer
import TestSupport
import Testing

/// A one-shot latch tests use to hold a server response until they release it.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}

/// Runs `body` with a started server and a fresh client, and stops both afterwards.
func withServer(
    configuration: CurlConfiguration = CurlConfiguration(),
    handler: @escaping ScriptedHTTPServer.Handler,
    _ body: (ScriptedHTTPServer, CurlHTTPClient) async throws -> Void
) async throws {
    let server = try await ScriptedHTTPServer.start(handler: handler)
    let client = try #require(CurlHTTPClient(configuration: configuration))
    do {
        try await body(server, client)
    } catch {
        client.shutdown()
        await server.stop()
        throw error
    }
    client.shutdown()
    await server.stop()
}

func failure(of work: () async throws(TransportError) -> HTTPResponse) async -> TransportError? {
    do {
        _ = try await work()
        return nil
    } catch {
        return error
    }
}

@Suite("libcurl HTTP client")
struct CurlHTTPClientTests {
    @Test("GET and POST round-trip status, headers and body")
    func roundTrip() async throws {
        let handler: ScriptedHTTPServer.Handler = { request in
            .json(
                #"{"method":"\#(request.method)","len":\#(request.body.count)}"#, status: 201,
                headers: [("X-CSRF-TOKEN", "t-1"), ("X-Echo", request.header("X-Test") ?? "none")])
        }
        try await withServer(handler: handler) { server, client in
            let get = try await client.perform(
                HTTPRequest(method: .get, url: server.baseURL + "/api/v2/me", headers: [HTTPHeader("X-Test", "a")]))
            #expect(get.status == 201)
            #expect(get.header("x-csrf-token") == "t-1")
            #expect(get.header("X-Echo") == "a")
            #expect(String(decoding: get.body, as: UTF8.self) == #"{"method":"GET","len":0}"#)
            let post = try await client.perform(
                HTTPRequest(method: .post, url: server.baseURL + "/x", body: Array(repeating: 65, count: 5000)))
            #expect(String(decoding: post.body, as: UTF8.self) == #"{"method":"POST","len":5000}"#)
        }
    }

    @Test("Request headers such as Basic auth and the CSRF token reach the server")
    func requestHeaders() async throws {
        let handler: ScriptedHTTPServer.Handler = { request in
            .json(
                #"{"auth":"\#(request.header("Authorization") ?? "")","csrf":"\#(request.header("X-CSRF-TOKEN") ?? "")"}"#
            )
        }
        try await withServer(handler: handler) { server, client in
            let response = try await client.perform(
                HTTPRequest(
                    method: .post, url: server.baseURL,
                    headers: [HTTPHeader("Authorization", "Basic YTpi"), HTTPHeader("X-CSRF-TOKEN", "tok")]))
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"auth":"Basic YTpi","csrf":"tok"}"#)
        }
    }

    @Test("Cookies set by one response are sent on later requests and cleared on teardown")
    func cookieJar() async throws {
        let handler: ScriptedHTTPServer.Handler = { request in
            if request.uri == "/login" {
                return .respond(
                    status: 200,
                    headers: [
                        ("Set-Cookie", "JSESSIONID=abc; Path=/; HttpOnly"), ("Set-Cookie", "BAYEUX_BROWSER=b1; Path=/"),
                    ], body: [])
            }
            return .json(#"{"cookie":"\#(request.header("Cookie") ?? "")"}"#)
        }
        try await withServer(handler: handler) { server, client in
            _ = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/login"))
            let after = try await client.perform(HTTPRequest(method: .post, url: server.baseURL + "/api"))
            let text = String(decoding: after.body, as: UTF8.self)
            #expect(text.contains("JSESSIONID=abc"))
            #expect(text.contains("BAYEUX_BROWSER=b1"))
            await client.clearCookies()
            let cleared = try await client.perform(HTTPRequest(method: .post, url: server.baseURL + "/api"))
            #expect(String(decoding: cleared.body, as: UTF8.self) == #"{"cookie":""}"#)
        }
    }

    @Test("A parked long poll does not block a second request")
    func longPollBesideControlRequest() async throws {
        let gate = Gate()
        let handler: ScriptedHTTPServer.Handler = { request in
            if request.uri == "/poll" { await gate.wait() }
            return .json(#"{"uri":"\#(request.uri)"}"#)
        }
        try await withServer(handler: handler) { server, client in
            async let poll = client.perform(
                HTTPRequest(method: .post, url: server.baseURL + "/poll", timeout: .seconds(60)))
            let control = try await client.perform(HTTPRequest(method: .post, url: server.baseURL + "/control"))
            #expect(String(decoding: control.body, as: UTF8.self) == #"{"uri":"/control"}"#)
            await gate.open()
            #expect(String(decoding: try await poll.body, as: UTF8.self) == #"{"uri":"/poll"}"#)
        }
    }

    @Test("Sequential requests reuse one kept-alive connection")
    func keepAlive() async throws {
        let handler: ScriptedHTTPServer.Handler = { _ in .json("[]") }
        try await withServer(handler: handler) { server, client in
            for _ in 0..<5 { _ = try await client.perform(HTTPRequest(method: .post, url: server.baseURL)) }
            #expect(server.acceptedConnections == 1)
        }
    }

    @Test("Cancelling the task aborts a request the server never answers")
    func cancellation() async throws {
        let handler: ScriptedHTTPServer.Handler = { _ in .hang }
        try await withServer(handler: handler) { server, client in
            let task = Task {
                await failure { () throws(TransportError) in
                    try await client.perform(HTTPRequest(method: .post, url: server.baseURL, timeout: .seconds(120)))
                }
            }
            await waitUntil("the server accepted the connection") { server.acceptedConnections > 0 }
            task.cancel()
            #expect(await task.value == .cancelled)
        }
    }

    @Test("A request cancelled before it starts is never sent")
    func cancelledBeforeStart() async throws {
        let handler: ScriptedHTTPServer.Handler = { _ in .json("[]") }
        try await withServer(handler: handler) { server, client in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await failure { () throws(TransportError) in
                    try await client.perform(HTTPRequest(method: .get, url: server.baseURL))
                }
            }
            #expect(await task.value == .cancelled)
        }
    }

    @Test("A body over the size cap fails cleanly", arguments: [false, true])
    func sizeCap(truncatedDeclaration: Bool) async throws {
        let big = Array(repeating: UInt8(ascii: "x"), count: 4096)
        let handler: ScriptedHTTPServer.Handler = { _ in
            truncatedDeclaration
                ? .truncated(declaredLength: 1 << 30, body: big) : .respond(status: 200, headers: [], body: big)
        }
        try await withServer(
            configuration: CurlConfiguration(maxResponseSize: 1024),
            handler: handler
        ) { server, client in
            let error = await failure { () throws(TransportError) in
                try await client.perform(HTTPRequest(method: .get, url: server.baseURL))
            }
            #expect(error == .responseTooLarge(limit: 1024))
        }
    }

    @Test("A connection closed mid-body or before any answer is a reset")
    func resets() async throws {
        let handler: ScriptedHTTPServer.Handler = { request in
            request.uri == "/mid" ? .truncated(declaredLength: 100, body: Array("[{\"chan".utf8)) : .close
        }
        try await withServer(handler: handler) { server, client in
            for path in ["/mid", "/nothing"] {
                let error = await failure { () throws(TransportError) in
                    try await client.perform(HTTPRequest(method: .get, url: server.baseURL + path))
                }
                guard case .reset = error else {
                    Issue.record("expected a reset for \(path), got \(String(describing: error))")
                    continue
                }
            }
        }
    }

    @Test("A silent server makes the request time out at its deadline")
    func timeout() async throws {
        let handler: ScriptedHTTPServer.Handler = { _ in .hang }
        try await withServer(handler: handler) { server, client in
            let error = await failure { () throws(TransportError) in
                try await client.perform(HTTPRequest(method: .get, url: server.baseURL, timeout: .milliseconds(300)))
            }
            #expect(error == .timeout)
        }
    }

    @Test("Nothing listening is a connection failure")
    func refused() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .json("[]") }
        let url = server.baseURL
        await server.stop()
        let client = try #require(CurlHTTPClient())
        defer { client.shutdown() }
        let error = await failure { () throws(TransportError) in
            try await client.perform(HTTPRequest(method: .get, url: url))
        }
        guard case .connect = error else {
            Issue.record("expected a connection failure, got \(String(describing: error))")
            return
        }
    }

    @Test("Descriptions of requests never contain header values")
    func redaction() {
        let request = HTTPRequest(
            method: .post, url: "https://gws/api", headers: [HTTPHeader("Authorization", "Basic c2VjcmV0")])
        #expect(!request.description.contains("c2VjcmV0"))
        #expect(HTTPHeader("X-CSRF-TOKEN", "x").isSecret)
        #expect(HTTPHeader("Cookie", "x").isSecret)
        #expect(!HTTPHeader("Content-Type", "x").isSecret)
    }
}
