import BayeuxClient
import BayeuxCore
import CurlTransport
import HTTPTransport
import JSON
import Logging
import ScriptedHTTPServer
import TestSupport
import Testing

/// Sequence numbers of deliveries on `/interop/...` recorded so far.
func sequenceNumbers(_ events: [BayeuxEvent]) -> [Int64] {
    events.flatMap { event -> [Int64] in
        guard case .messages(let messages) = event else { return [] }
        return messages.compactMap { $0.data?["seq"]?.intValue }
    }
}

/// Publishes `range` to `channel` through Faye's HTTP endpoint, 100 messages a POST.
func publish(_ range: Range<Int>, to url: String, channel: String, using http: CurlHTTPClient) async throws {
    for start in stride(from: range.lowerBound, to: range.upperBound, by: 100) {
        let batch = (start..<min(start + 100, range.upperBound)).map {
            BayeuxMessage(channel: channel, ["data": ["seq": .int(Int64($0)), "pad": "agent state payload"]])
        }
        let response = try await http.perform(
            HTTPRequest(
                method: .post, url: url, headers: [HTTPHeader("Content-Type", "application/json")],
                body: BayeuxCodec.encode(batch)))
        #expect(response.status == 200)
    }
}

@Suite("Interop with Faye (ruby-faye 1.4 under thin)", .serialized)
struct FayeInteropTests {
    @Test("Handshake, subscribe, 1,000 messages in order, server restart, disconnect")
    func fullCycle() async throws {
        let faye = try await FayeServer.launch()
        let http = try #require(CurlHTTPClient())
        let publisher = try #require(CurlHTTPClient())
        defer {
            http.shutdown()
            publisher.shutdown()
        }
        let client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: faye.url,
                session: SessionConfiguration(
                    maxNetworkDelay: .seconds(5),
                    backoff: BackoffPolicy(increment: .milliseconds(200), maximum: .seconds(1))),
                subscriptions: ["/interop/**"]),
            http: http, clock: ContinuousClock(), logger: Logger(label: "faye-interop"))
        let recorder = EventRecorder<BayeuxEvent>()
        await recorder.record(client.events)
        let run = Task { await client.run() }

        await recorder.wait(for: "the subscription confirmed") { $0.contains(.subscribed("/interop/**")) }
        await recorder.wait(for: "the client connected") { $0.contains(.stateChanged(.connected)) }
        try await publish(0..<1000, to: faye.url, channel: "/interop/seq", using: publisher)
        await recorder.wait(for: "1,000 messages delivered") { sequenceNumbers($0).count >= 1000 }
        #expect(sequenceNumbers(await recorder.events) == Array(0..<1000))

        // A crash and restart: Faye forgets the client and answers 401 Unknown client.
        await faye.crash()
        try await faye.restart()
        await recorder.wait(for: "a re-handshake") {
            $0.contains { if case .handshook(_, true) = $0 { true } else { false } }
        }
        await recorder.wait(for: "the subscription confirmed twice") {
            $0.filter { $0 == .subscribed("/interop/**") }.count == 2
        }
        try await publish(1000..<1010, to: faye.url, channel: "/interop/seq", using: publisher)
        await recorder.wait(for: "1,010 messages delivered") { sequenceNumbers($0).count >= 1010 }
        #expect(sequenceNumbers(await recorder.events) == Array(0..<1010))

        client.disconnect()
        #expect(await run.value == .disconnected)
        #expect(client.snapshot.state == .disconnected)
        #expect(client.snapshot.counters.successfulHandshakes == 2)
        await faye.crash()
    }
}
