import HTTPTransport
import ScriptedHTTPServer
import TestSupport
import Testing

@testable import CurlTransport

/// A client's finished request leaves its easy handle to the next one: the next request
/// must still send exactly what it asks for, and a handle never crosses to another client.
@Suite("libcurl easy handles reused per client")
struct EasyHandleReuseTests {
    /// The server's view of a request: method, body length, `X-Test`, cookie.
    static let echo: ScriptedHTTPServer.Handler = { request in
        if request.uri == "/big" { return .respond(status: 200, headers: [], body: Array(repeating: 65, count: 4096)) }
        if let name = request.uri.split(separator: "/").last, request.uri.hasPrefix("/login/") {
            return .respond(status: 200, headers: [("Set-Cookie", "JSESSIONID=\(name); Path=/")], body: [])
        }
        let fields = [
            request.method, "\(request.body.count)", request.header("X-Test") ?? "none",
            request.header("Cookie") ?? "none",
        ]
        return .respond(status: 200, headers: [], body: Array(fields.joined(separator: " ").utf8))
    }

    /// Runs `body` with a server (the echo server unless told) and a loop of its own;
    /// stops both, whether `body` throws or not.
    private func withLoop(
        handler: @escaping ScriptedHTTPServer.Handler = Self.echo,
        _ body: (ScriptedHTTPServer, CurlLoop) async throws -> Void
    ) async throws {
        let server = try await ScriptedHTTPServer.start(handler: handler)
        let loop = try #require(CurlLoop())
        defer { loop.stop() }
        do {
            try await body(server, loop)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test("Requests in turn reuse one handle, each with its own method, body and headers")
    func requestsInTurn() async throws {
        try await withLoop { server, loop in
            let client = try #require(CurlHTTPClient(configuration: CurlConfiguration(), sharing: loop))
            let url = server.baseURL + "/api"
            let post = HTTPRequest(
                method: .post, url: url, headers: [HTTPHeader("X-Test", "a")], body: Array("12345".utf8))
            #expect(text(try await client.perform(post)) == "POST 5 a none")
            #expect(text(try await client.perform(HTTPRequest(method: .get, url: url))) == "GET 0 none none")
            let tagged = HTTPRequest(method: .get, url: url, headers: [HTTPHeader("X-Test", "b")])
            #expect(text(try await client.perform(tagged)) == "GET 0 b none")
            #expect(text(try await client.perform(tagged)) == "GET 0 b none")
            let empty = HTTPRequest(method: .post, url: url, headers: [HTTPHeader("X-Test", "c")], body: [])
            #expect(text(try await client.perform(empty)) == "POST 0 c none")
            #expect(loop.easyHandles.created == 1)
            #expect(loop.easyHandles.reused == 4)
        }
    }

    @Test("A handle stays with its client: another client's requests never carry its cookies")
    func handlesStayWithTheirClient() async throws {
        try await withLoop { server, loop in
            let first = try #require(CurlHTTPClient(configuration: CurlConfiguration(), sharing: loop))
            let second = try #require(CurlHTTPClient(configuration: CurlConfiguration(), sharing: loop))
            _ = try await first.perform(HTTPRequest(method: .get, url: server.baseURL + "/login/one"))
            _ = try await second.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            _ = try await first.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            let other = try await second.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            #expect(text(other) == "GET 0 none none")
            let own = try await first.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            #expect(text(own) == "GET 0 none JSESSIONID=one")
            #expect(loop.easyHandles.created == 2)
            #expect(loop.easyHandles.reused == 3)
        }
    }

    @Test("A failed request's handle is freed, not reused; the next request gets a fresh one and works")
    func failedHandleNotReused() async throws {
        try await withLoop { server, loop in
            let client = try #require(
                CurlHTTPClient(configuration: CurlConfiguration(maxResponseSize: 1024), sharing: loop))
            _ = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            let error = await failure { () throws(TransportError) in
                try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/big"))
            }
            #expect(error != nil)
            #expect(loop.easyHandles == (created: 1, reused: 1))
            let after = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            #expect(text(after) == "GET 0 none none")
            #expect(loop.easyHandles == (created: 2, reused: 1))
        }
    }

    @Test("A request that ends beside a held one frees its handle: only the held one's is kept")
    func besideAHeldRequest() async throws {
        let gate = Gate()
        let handler: ScriptedHTTPServer.Handler = { request in
            if request.uri == "/held" { await gate.wait() }
            return await Self.echo(request)
        }
        try await withLoop(handler: handler) { server, loop in
            let client = try #require(CurlHTTPClient(configuration: CurlConfiguration(), sharing: loop))
            let held = Task { try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/held")) }
            // The held request ends whatever happens below, so the server can stop.
            do {
                await waitUntil("the held request in flight") { loop.easyHandles.created == 1 }
                // Two REST calls while the poll is held: neither leaves an idle handle behind.
                _ = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
                _ = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
                #expect(loop.easyHandles == (created: 3, reused: 0))
            } catch {
                await gate.open()
                throw error
            }
            await gate.open()
            #expect(text(try await held.value) == "GET 0 none none")
            _ = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            #expect(loop.easyHandles == (created: 3, reused: 1))
        }
    }

    @Test("Two requests side by side take two handles; one is kept for the next")
    func sideBySide() async throws {
        try await withLoop { server, loop in
            let client = try #require(CurlHTTPClient(configuration: CurlConfiguration(), sharing: loop))
            let url = server.baseURL + "/api"
            async let one = client.perform(HTTPRequest(method: .get, url: url, headers: [HTTPHeader("X-Test", "1")]))
            async let two = client.perform(HTTPRequest(method: .get, url: url, headers: [HTTPHeader("X-Test", "2")]))
            let (first, second) = try await (one, two)
            #expect(text(first) == "GET 0 1 none")
            #expect(text(second) == "GET 0 2 none")
            #expect(loop.easyHandles.created == 2)
            #expect(text(try await client.perform(HTTPRequest(method: .get, url: url))) == "GET 0 none none")
            #expect(text(try await client.perform(HTTPRequest(method: .get, url: url))) == "GET 0 none none")
            #expect(loop.easyHandles == (created: 2, reused: 2))
        }
    }
}
