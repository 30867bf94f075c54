import BayeuxClient
import BayeuxCore
import CurlTransport
import HTTPTransport
import JSON
import Logging
import ScriptedHTTPServer
import Testing

/// A started mini server, a client pointed at it, and a recorder of the client's events.
struct DriverFixture {
    let cometd: MiniCometD
    let server: ScriptedHTTPServer
    let http: CurlHTTPClient
    let client: BayeuxClient<ContinuousClock>
    let recorder = EventRecorder<BayeuxEvent>()
    let run: Task<TerminationReason?, Never>

    init(
        hold: Duration = .milliseconds(50), maxResponseSize: Int = 1 << 20,
        backoff: BackoffPolicy = BackoffPolicy(increment: .milliseconds(100), maximum: .milliseconds(400)),
        before: @Sendable (MiniCometD) async -> Void = { _ in }
    ) async throws {
        let cometd = MiniCometD(hold: hold)
        await before(cometd)
        self.cometd = cometd
        server = try await ScriptedHTTPServer.start { await cometd.handle($0) }
        http = try #require(CurlHTTPClient(configuration: CurlConfiguration(maxResponseSize: maxResponseSize)))
        client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: server.baseURL + "/api/v2/notifications",
                session: SessionConfiguration(maxNetworkDelay: .seconds(5), backoff: backoff),
                subscriptions: ["/v2/me/devices"],
                headers: { [HTTPHeader("X-CSRF-TOKEN", "csrf-secret"), HTTPHeader("Authorization", "Basic c2VjcmV0")] }),
            http: http, clock: ContinuousClock(), logger: Logger(label: "test"))
        await recorder.record(client.events)
        let client = self.client
        run = Task { await client.run() }
    }

    func stop() async {
        client.disconnect()
        _ = await run.value
        http.shutdown()
        await server.stop()
    }

    func waitConnected(times: Int = 1) async -> Bool {
        await recorder.wait { $0.filter { $0 == .stateChanged(.connected) }.count >= times }
    }
}

@Suite("Bayeux client driver over libcurl")
struct BayeuxClientTests {
    @Test("Cookies from the handshake and the configured headers go with every request")
    func cookiesAndHeaders() async throws {
        let f = try await DriverFixture()
        #expect(await f.waitConnected())
        #expect(await f.recorder.wait { $0.contains(.subscribed("/v2/me/devices")) })
        let requests = await f.cometd.requests
        #expect(requests.count >= 3)
        for request in requests.dropFirst() {
            #expect(request.header("Cookie")?.contains("BAYEUX_BROWSER=browser-1") == true)
        }
        #expect(requests.allSatisfy { $0.header("X-CSRF-TOKEN") == "csrf-secret" })
        #expect(requests.allSatisfy { $0.header("Content-Type")?.hasPrefix("application/json") == true })
        await f.stop()
    }

    @Test("Deliveries reach the event stream in order")
    func deliveries() async throws {
        let f = try await DriverFixture()
        #expect(await f.waitConnected())
        for seq in 0..<50 {
            await f.cometd.publish(BayeuxMessage(channel: "/v2/me/devices", ["data": ["seq": .int(Int64(seq))]]))
        }
        let delivered: @Sendable ([BayeuxEvent]) -> [Int64] = { events in
            events.flatMap { event -> [Int64] in
                if case .messages(let m) = event { return m.compactMap { $0.data?["seq"]?.intValue } }
                return []
            }
        }
        #expect(await f.recorder.wait { delivered($0).count == 50 })
        #expect(delivered(await f.recorder.events) == Array(0..<50))
        await f.stop()
    }

    @Test(
        "HTML error pages, empty bodies, oversized and truncated replies are survived",
        arguments: [
            MiniCometD.Fault.status(503, body: "<html><body>Service Unavailable</body></html>"),
            .body(""), .body("<html>"), .oversized(4096), .truncate,
        ])
    func badReplies(fault: MiniCometD.Fault) async throws {
        let f = try await DriverFixture(maxResponseSize: 2048)
        #expect(await f.waitConnected())
        await f.cometd.inject(fault, count: 2)
        #expect(await f.recorder.wait { $0.contains { if case .requestFailed = $0 { true } else { false } } })
        #expect(await f.waitConnected(times: 2))
        #expect(f.client.snapshot.state == .connected)
        await f.stop()
    }

    @Test("An error body that echoes the request's credentials is reported without them")
    func echoedCredentialsRedacted() async throws {
        let f = try await DriverFixture()
        #expect(await f.waitConnected())
        let echo = "forbidden: you sent Authorization: Basic c2VjcmV0, X-CSRF-TOKEN: csrf-secret, token c2VjcmV0"
        await f.cometd.inject(.status(403, body: echo), count: 1)
        #expect(await f.recorder.wait { $0.contains { if case .requestFailed = $0 { true } else { false } } })
        let details = await f.recorder.events.compactMap { event -> String? in
            if case .requestFailed(let failure) = event { failure.detail } else { nil }
        }
        #expect(details.contains { $0.contains("HTTP 403: forbidden") }, "\(details)")
        #expect(!details.contains { $0.contains("c2VjcmV0") || $0.contains("csrf-secret") }, "\(details)")
        #expect(details.contains { $0.contains("[redacted]") })
        await f.stop()
    }

    @Test("A storm of 500s gets a bounded number of attempts")
    func fiveHundredStorm() async throws {
        let f = try await DriverFixture(backoff: BackoffPolicy(increment: .milliseconds(500), maximum: .seconds(5)))
        #expect(await f.waitConnected())
        let before = await f.cometd.requests.count
        await f.cometd.inject(.status(500, body: "boom"), count: 1000)
        try await Task.sleep(for: .seconds(2))
        let attempts = await f.cometd.requests.count - before
        // 0, ~0.25–0.5, ~0.5–1, ~0.75–1.5 s: at most 5 in two seconds, never a busy loop.
        #expect(attempts >= 2)
        #expect(attempts <= 6)
        // Every attempt failed and was counted once: the last answer may still be on its way
        // when the server's count is read, so wait for the client to catch up.
        #expect(
            await eventually { f.client.snapshot.counters.requestFailures[.http, default: 0] >= attempts },
            "the client counted each refused attempt")
        let counted = f.client.snapshot.counters.requestFailures[.http, default: 0]
        #expect(counted <= (await f.cometd.requests.count) - before, "no failure counted twice")
        await f.stop()
    }

    @Test("Disconnect sends /meta/disconnect with the session id while a long poll is parked")
    func disconnect() async throws {
        let f = try await DriverFixture(hold: .seconds(30))
        #expect(await f.waitConnected())
        try await Task.sleep(for: .milliseconds(100))
        f.client.disconnect()
        #expect(await f.run.value == .disconnected)
        let disconnects = await f.cometd.sent(on: "/meta/disconnect")
        #expect(disconnects.map(\.clientId) == ["client-1"])
        f.http.shutdown()
        await f.server.stop()
    }

    @Test("Cancelling run() aborts the parked long poll at once")
    func cancellation() async throws {
        let f = try await DriverFixture(hold: .seconds(120))
        #expect(await f.waitConnected())
        f.run.cancel()
        #expect(await f.run.value == nil)
        f.http.shutdown()
        await f.server.stop()
    }
}
