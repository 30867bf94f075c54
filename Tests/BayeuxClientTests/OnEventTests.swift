import BayeuxClient
import BayeuxCore
import CurlTransport
import HTTPTransport
import JSON
import Locking
import Logging
import ScriptedHTTPServer
import Testing

@Suite("Bayeux client events through a closure")
struct OnEventTests {
    @Test("An onEvent closure gets every event in order, and the stream stays empty")
    func closureInsteadOfStream() async throws {
        let cometd = MiniCometD(hold: .milliseconds(50))
        let server = try await ScriptedHTTPServer.start { await cometd.handle($0) }
        let http = try #require(CurlHTTPClient())
        let seen = Locked<[BayeuxEvent]>([])
        let client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: server.baseURL + "/api/v2/notifications",
                session: SessionConfiguration(maxNetworkDelay: .seconds(5)),
                subscriptions: ["/v2/me/devices"], headers: { [] }),
            http: http, clock: ContinuousClock(), logger: Logger(label: "test"),
            onEvent: { event in seen.withLock { $0.append(event) } })
        let run = Task { await client.run() }
        func delivered() -> [Int64] {
            seen.withLock { events in
                events.flatMap { event -> [Int64] in
                    if case .messages(let messages) = event { return messages.compactMap { $0.data?["seq"]?.intValue } }
                    return []
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !seen.withLock({ $0.contains(.subscribed("/v2/me/devices")) }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        for seq in 0..<20 {
            await cometd.publish(BayeuxMessage(channel: "/v2/me/devices", ["data": ["seq": .int(Int64(seq))]]))
        }
        while delivered().count < 20 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(delivered() == Array(0..<20))

        client.disconnect()
        _ = await run.value
        var streamed = 0
        for await _ in client.events { streamed += 1 }
        #expect(streamed == 0)
        #expect(seen.withLock { $0.first } == .stateChanged(.handshaking))
        #expect(seen.withLock { events in events.contains { if case .terminated = $0 { true } else { false } } })
        http.shutdown()
        await server.stop()
    }
}
