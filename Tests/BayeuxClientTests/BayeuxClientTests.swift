import BayeuxClient
import BayeuxCore
import CurlTransport
import GWSSimulator
import HTTPTransport
import JSON
import Locking
import ScriptedHTTPServer
import TestSupport
import Testing

@Suite("Bayeux client driver over libcurl")
struct BayeuxClientTests {
    @Test("Cookies from the handshake and the configured headers go with every request")
    func cookiesAndHeaders() async throws {
        let f = try await DriverFixture()
        await f.waitConnected()
        await f.recorder.wait(for: "the subscription confirmed") { $0.contains(.subscribed("/v2/me/devices")) }
        let requests = f.seen.withLock { $0 }
        // The handshake, then the subscription with the first connect (one request).
        #expect(requests.count >= 2)
        let browser = requests.dropFirst().first?.header("Cookie")
        #expect(browser?.contains("BAYEUX_BROWSER=") == true)
        for request in requests.dropFirst() {
            #expect(request.header("Cookie") == browser, "the handshake's cookies on every later request")
        }
        #expect(requests.allSatisfy { $0.header("X-CSRF-TOKEN") == "csrf-secret" })
        #expect(requests.allSatisfy { $0.header("Content-Type")?.hasPrefix("application/json") == true })
        await f.stop()
    }

    @Test("Deliveries reach the event stream in order")
    func deliveries() async throws {
        let f = try await DriverFixture()
        await f.waitConnected()
        await f.recorder.wait(for: "the subscription confirmed") { $0.contains(.subscribed("/v2/me/devices")) }
        for seq in 0..<50 {
            await f.simulator.engine.deliver(["seq": .int(Int64(seq))], on: "/v2/me/devices")
        }
        let delivered: @Sendable ([BayeuxEvent]) -> [Int64] = { events in
            events.flatMap { event -> [Int64] in
                if case .messages(let m) = event { return m.compactMap { $0.data?["seq"]?.intValue } }
                return []
            }
        }
        await f.recorder.wait(for: "50 deliveries") { delivered($0).count == 50 }
        #expect(delivered(await f.recorder.events) == Array(0..<50))
        await f.stop()
    }

    @Test(
        "HTML error pages, empty bodies, oversized and truncated replies are survived",
        arguments: [
            Fault.status(503), .empty, .malformed, .oversized(4096), .closeMidBody,
        ])
    func badReplies(fault: Fault) async throws {
        let f = try await DriverFixture(maxResponseSize: 2048)
        await f.waitConnected()
        await f.simulator.engine.inject(fault, count: 2, target: .cometd)
        await f.recorder.wait(for: "a failed request reported") {
            $0.contains { if case .requestFailed = $0 { true } else { false } }
        }
        await f.waitConnected(times: 2)
        #expect(f.client.snapshot.state == .connected)
        await f.stop()
    }

    @Test("A queue the server resends past the reply limit (ack extension) is left behind with a new session")
    func floodPastTheLimitRehandshakes() async throws {
        let f = try await DriverFixture(maxResponseSize: 8192)
        await f.waitConnected()
        let first = f.client.snapshot.clientId
        // Hundreds of device changes (about 300 bytes each) while the client polls: a reply
        // past 8 KiB, which the server resends on every connect of the session until acked.
        for index in 0..<400 {
            _ = await f.simulator.engine.apply(index % 2 == 0 ? "Ready" : "NotReady", scope: .all)
        }
        await f.recorder.wait(for: "a too-large reply, then a new session") { events in
            guard
                let failed = events.firstIndex(where: { event in
                    if case .requestFailed(let failure) = event { failure.kind == .tooLarge } else { false }
                })
            else { return false }
            return events[failed...].contains(.stateChanged(.rehandshaking))
                && events[failed...].last == .stateChanged(.connected)
        }
        #expect(f.client.snapshot.clientId != first)
        await f.stop()
    }

    @Test("An error body that echoes the request's credentials is reported without them")
    func echoedCredentialsRedacted() async throws {
        let f = try await DriverFixture()
        await f.waitConnected()
        await f.simulator.engine.inject(.echo(status: 403), target: .cometd)
        await f.recorder.wait(for: "a failed request reported") {
            $0.contains { if case .requestFailed = $0 { true } else { false } }
        }
        let details = await f.recorder.events.compactMap { event -> String? in
            if case .requestFailed(let failure) = event { failure.detail } else { nil }
        }
        #expect(details.contains { $0.contains("HTTP 403: refused; you sent") }, "\(details)")
        let secret = String(DriverFixture.credentials.dropFirst("Basic ".count))
        #expect(!details.contains { $0.contains(secret) || $0.contains("csrf-secret") }, "\(details)")
        // The cookie the jar sent (the client never saw its value) is not repeated either.
        #expect(details.contains { $0.contains("Cookie: [redacted]") }, "\(details)")
        #expect(details.contains { $0.contains("[redacted]") }, "\(details)")
        await f.stop()
    }

    @Test("A storm of 500s gets a bounded number of attempts, counted on the client's own time")
    func fiveHundredStorm() async throws {
        let time = ManualTime()
        let f = try await DriverFixture(
            backoff: BackoffPolicy(increment: .milliseconds(500), maximum: .seconds(5)), clock: time.clock)
        await f.waitConnected()
        await waitUntil("the long poll held") { await f.simulator.engine.heldConnects == 1 }
        let before = f.seen.withLock { $0.count }
        await f.simulator.engine.inject(.status(500), count: 1000, target: .cometd)
        // Two seconds of the client's time, one backoff delay at a time: each step waits for
        // the failed attempt to be counted and the next delay to be scheduled.
        var elapsed = Duration.zero
        var failures = 0
        while elapsed < .seconds(2) {
            let counted = failures
            await waitUntil("attempt \(counted + 1) failed and a retry was scheduled") {
                f.client.snapshot.counters.requestFailures[.http, default: 0] > counted && time.nextDelay != nil
            }
            failures = f.client.snapshot.counters.requestFailures[.http, default: 0]
            // The whole delay in one step: the retry timer is the only sleeper and it is
            // registered (waited for above). A step capped below the delay (the default
            // 1 s, where the fourth delay may be 1.5 s) fires nothing, and the next wait
            // would then wait for an attempt that is never made.
            elapsed += time.advanceToNextDeadline(atMost: .seconds(5)) ?? .zero
        }
        let attempts = f.seen.withLock { $0.count } - before
        // Delays 0, 0.25-0.5, 0.5-1, 0.75-1.5 s: at most 5 attempts in two seconds, never a busy loop.
        #expect(attempts >= 2 && attempts <= 6, "\(attempts) attempts in \(elapsed)")
        #expect(failures == attempts || failures == attempts - 1, "each refused attempt counted once")
        await f.stop()
    }

    @Test("Disconnect sends /meta/disconnect with the session id while a long poll is parked")
    func disconnect() async throws {
        let f = try await DriverFixture(hold: .seconds(30))
        await f.waitConnected()
        await waitUntil("the long poll parked") { await f.simulator.engine.heldConnects == 1 }
        let clientID = f.client.snapshot.clientId
        f.client.disconnect()
        #expect(await f.run.value == .disconnected)
        let disconnects = f.sent(on: "/meta/disconnect")
        #expect(clientID != nil)
        #expect(disconnects.map(\.clientId) == [clientID])
        #expect(await f.simulator.engine.bayeuxSessions == 0, "the server forgot the session")
        f.http.shutdown()
        await f.simulator.stop()
    }

    @Test("Cancelling run() aborts the parked long poll at once")
    func cancellation() async throws {
        let f = try await DriverFixture(hold: .seconds(120))
        await f.waitConnected()
        f.run.cancel()
        #expect(await f.run.value == nil)
        f.http.shutdown()
        await f.simulator.stop()
    }
}
