import HTTPTransport
import Locking
import ScriptedHTTPServer
import TestSupport
import Testing

@testable import CurlTransport

/// Clients that share one libcurl loop, as every client created on `gws-agentd run`'s
/// executor thread does: each keeps its own cookies, and one shutting down leaves the
/// others running.
@Suite("libcurl clients sharing one loop")
struct SharedLoopTests {
    /// Runs `body` with a server and two clients on one loop of its own; stops them all.
    private func withTwoClients(
        handler: @escaping ScriptedHTTPServer.Handler,
        _ body: (ScriptedHTTPServer, CurlHTTPClient, CurlHTTPClient) async throws -> Void
    ) async throws {
        let server = try await ScriptedHTTPServer.start(handler: handler)
        let loop = try #require(CurlLoop())
        defer { loop.stop() }
        let first = try #require(CurlHTTPClient(configuration: CurlConfiguration(), sharing: loop))
        let second = try #require(CurlHTTPClient(configuration: CurlConfiguration(), sharing: loop))
        do {
            try await body(server, first, second)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("Each client keeps its own cookie jar, and clearing one leaves the other")
    func separateCookieJars() async throws {
        let handler: ScriptedHTTPServer.Handler = { request in
            if let name = request.uri.split(separator: "/").last, request.uri.hasPrefix("/login/") {
                return .respond(status: 200, headers: [("Set-Cookie", "JSESSIONID=\(name); Path=/")], body: [])
            }
            return .json(#"{"cookie":"\#(request.header("Cookie") ?? "")"}"#)
        }
        try await withTwoClients(handler: handler) { server, first, second in
            _ = try await first.perform(HTTPRequest(method: .get, url: server.baseURL + "/login/one"))
            _ = try await second.perform(HTTPRequest(method: .get, url: server.baseURL + "/login/two"))
            let one = try await first.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            let two = try await second.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            #expect(String(decoding: one.body, as: UTF8.self) == #"{"cookie":"JSESSIONID=one"}"#)
            #expect(String(decoding: two.body, as: UTF8.self) == #"{"cookie":"JSESSIONID=two"}"#)
            await first.clearCookies()
            let cleared = try await first.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            let kept = try await second.perform(HTTPRequest(method: .get, url: server.baseURL + "/api"))
            #expect(String(decoding: cleared.body, as: UTF8.self) == #"{"cookie":""}"#)
            #expect(String(decoding: kept.body, as: UTF8.self) == #"{"cookie":"JSESSIONID=two"}"#)
        }
    }

    @Test("Shutting one client down fails its requests, in flight and later, and not the other's")
    func shutdownIsPerClient() async throws {
        let gate = Gate()
        let parked = Locked(0)
        let handler: ScriptedHTTPServer.Handler = { request in
            if request.uri == "/poll" {
                parked.withLock { $0 += 1 }
                await gate.wait()
            }
            return .json(#"{"uri":"\#(request.uri)"}"#)
        }
        try await withTwoClients(handler: handler) { server, first, second in
            let poll = HTTPRequest(method: .post, url: server.baseURL + "/poll", timeout: .seconds(60))
            async let firstPoll = failure { () async throws(TransportError) in try await first.perform(poll) }
            async let secondPoll = second.perform(poll)
            // Both polls are parked at the server before the first client goes away.
            await waitUntil("both polls parked at the server") { parked.withLock { $0 } == 2 }
            first.shutdown()
            #expect(await firstPoll == .shutDown)
            let later = await failure { () async throws(TransportError) in
                try await first.perform(HTTPRequest(method: .get, url: server.baseURL + "/x"))
            }
            #expect(later == .shutDown)
            await gate.open()
            #expect(String(decoding: try await secondPoll.body, as: UTF8.self) == #"{"uri":"/poll"}"#)
            let after = try await second.perform(HTTPRequest(method: .get, url: server.baseURL + "/y"))
            #expect(after.status == 200)
        }
    }

    @Test("Work queued after a turn took the inbox does not wait for the loop's timeout")
    func noLostWakeUp() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .json("{}") }
        // This test drives the loop itself, step by step, as a shard's thread would.
        let loop = try #require(CurlLoop(drivenBy: .shard))
        let client = try #require(CurlHTTPClient(configuration: CurlConfiguration(), sharing: loop))
        _ = loop.turn()
        let done = Locked(false)
        let request = Task {
            defer { done.withLock { $0 = true } }
            return try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/late"))
        }
        await waitUntil("the request in the loop's inbox") { loop.inbox.withLock { $0.hasWork } }
        // A look without waiting, as the end of every turn does, drains the request's wake-up.
        loop.act(waitingUpTo: 0)
        let started = ContinuousClock.now
        loop.act(waitingUpTo: 60_000)
        #expect(ContinuousClock.now - started < .seconds(30), "the loop blocked with a request in its inbox")
        await waitUntil("the request answered") {
            _ = loop.turn()
            loop.act(waitingUpTo: 10)
            return done.withLock { $0 }
        }
        #expect(try await request.value.status == 200)
        client.shutdown()
        await server.stop()
    }
}
