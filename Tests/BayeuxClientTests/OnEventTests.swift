import BayeuxClient
import BayeuxCore
import CurlTransport
import GWSSimulator
import HTTPTransport
import JSON
import Locking
import Logging
import TestSupport
import Testing
import Timekeeping

@Suite("Bayeux client events through a closure")
struct OnEventTests {
    @Test("An onEvent closure gets every event in order, and the stream stays empty")
    func closureInsteadOfStream() async throws {
        let simulator = GWSSimulator(
            configuration: SimulatorConfiguration(
                agents: [SimulatedAgent(username: "agent1", password: "secret")],
                cometd: CometDSettings(timeout: .milliseconds(50)), csrfOnCometD: false))
        let url = try await simulator.start()
        let http = try #require(CurlHTTPClient())
        let seen = Locked<[BayeuxEvent]>([])
        let client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: url + "/api/v2/notifications",
                session: SessionConfiguration(maxNetworkDelay: .seconds(5)),
                subscriptions: ["/v2/me/devices"],
                headers: { [HTTPHeader("Authorization", DriverFixture.credentials)] }),
            http: http, clock: InjectedClock.system, logger: Logger(label: "test"),
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
        await waitUntil("the subscription confirmed") { seen.withLock { $0.contains(.subscribed("/v2/me/devices")) } }
        for seq in 0..<20 {
            await simulator.engine.deliver(["seq": .int(Int64(seq))], on: "/v2/me/devices")
        }
        await waitUntil("20 deliveries") { delivered().count >= 20 }
        #expect(delivered() == Array(0..<20))

        client.disconnect()
        _ = await run.value
        var streamed = 0
        for await _ in client.events { streamed += 1 }
        #expect(streamed == 0)
        #expect(seen.withLock { $0.first } == .stateChanged(.handshaking))
        #expect(seen.withLock { events in events.contains { if case .terminated = $0 { true } else { false } } })
        http.shutdown()
        await simulator.stop()
    }
}
