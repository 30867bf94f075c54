import BayeuxClient
import BayeuxCore
import CurlTransport
import GWSSimulator
import HTTPTransport
import JSON
import Logging
import ScriptedHTTPServer
import TestSupport
import Testing
import Timekeeping

/// Our Bayeux client connected to a simulator, with its events recorded.
///
/// The Bayeux client alone does not own a GWS HTTP session (the daemon logs in and out of
/// those), so these simulators do not check CSRF on CometD: the faults here are Bayeux's.
struct ConnectedClient {
    let fixture: SimulatorFixture
    let client: BayeuxClient<ContinuousClock>
    let recorder = EventRecorder<BayeuxEvent>()
    let run: Task<TerminationReason?, Never>

    /// - Parameters:
    ///   - clock: the simulator's clock (holds, scripted activity); real time by default.
    ///   - prepare: runs on the simulator before the client starts (faults for its first requests).
    init(
        _ configuration: SimulatorConfiguration = SimulatorConfiguration(
            // Sessions live 10 s without a connect: under a loaded machine, a few faulted
            // requests and their backoff must not get the session swept with its queue.
            cometd: CometDSettings(timeout: .milliseconds(300), maxInterval: .seconds(10)), csrfOnCometD: false),
        clock: InjectedClock = .system, prepare: (SimulatorFixture) async -> Void = { _ in }
    )
        async throws
    {
        fixture = try await SimulatorFixture(configuration, clock: clock)
        await prepare(fixture)
        client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: fixture.url + GWSSimulator.notificationsPath,
                session: SessionConfiguration(
                    maxNetworkDelay: .seconds(2),
                    backoff: BackoffPolicy(increment: .milliseconds(50), maximum: .milliseconds(200))),
                subscriptions: ["/v2/me/devices", "/v2/me/channels"],
                headers: { [SimulatorFixture.basic] }),
            http: fixture.http, clock: ContinuousClock(), logger: Logger(label: "sim-test"))
        await recorder.record(client.events)
        let client = self.client
        run = Task { await client.run() }
    }

    func subscribedCount() async -> Int {
        await recorder.events.filter { if case .subscribed = $0 { true } else { false } }.count
    }

    /// The device states delivered so far, in order.
    func deviceStates() async -> [String] { GWSSimulatorTests.deviceStates(in: await recorder.events) }

    func stop() async {
        client.disconnect()
        _ = await run.value
        await fixture.stop()
    }
}

/// The device states in `events`, in order.
func deviceStates(in events: [BayeuxEvent]) -> [String] {
    events.flatMap { event -> [String] in
        guard case .messages(let messages) = event else { return [] }
        return messages.filter { $0.channel == "/v2/me/devices" }
            .compactMap { $0.data?["devices"]?.arrayValue?.first?["userState"]?["state"]?.stringValue }
    }
}

@Suite("Our client against gws-sim, with faults")
struct ClientAgainstSimulatorTests {
    @Test("Operations reach the client as device and channel notifications")
    func notifications() async throws {
        let c = try await ConnectedClient()
        await c.recorder.wait(for: "both subscriptions confirmed") {
            $0.filter { if case .subscribed = $0 { true } else { false } }.count == 2
        }
        await c.fixture.simulator.engine.apply("Ready")
        await c.fixture.simulator.engine.apply("NotReady")
        await c.recorder.wait(for: "two device states delivered") { deviceStates(in: $0).count == 2 }
        #expect(await c.deviceStates() == ["Ready", "NotReady"])
        let requests = await c.fixture.simulator.engine.requests.filter { $0.path == GWSSimulator.notificationsPath }
        #expect(requests.allSatisfy { $0.headers.contains("authorization") })
        #expect(requests.dropFirst().allSatisfy { $0.headers.contains("cookie") })
        await c.stop()
    }

    @Test("Dropped sessions and a server restart lead to a re-handshake and re-subscription")
    func dropAndRestart() async throws {
        let c = try await ConnectedClient()
        await c.recorder.wait(for: "the client connected") { $0.contains(.stateChanged(.connected)) }
        await waitUntil("both subscriptions confirmed") { await c.subscribedCount() >= 2 }
        await c.fixture.simulator.engine.dropSessions()
        await c.recorder.wait(for: "a re-handshake") {
            $0.contains { if case .handshook(_, true) = $0 { true } else { false } }
        }
        await waitUntil("both subscriptions confirmed again") { await c.subscribedCount() >= 4 }
        try await c.fixture.simulator.restart(downtime: .milliseconds(200))
        await c.recorder.wait(for: "the re-handshakes") {
            $0.filter { if case .handshook(_, true) = $0 { true } else { false } }.count == 2
        }
        await c.recorder.wait(for: "both subscriptions confirmed") {
            $0.filter { if case .subscribed = $0 { true } else { false } }.count == 6
        }
        await c.fixture.simulator.engine.apply("Ready")
        await c.recorder.wait(for: "the device state Ready delivered") { deviceStates(in: $0) == ["Ready"] }
        #expect(c.client.snapshot.counters.successfulHandshakes == 3)
        await c.stop()
    }

    @Test(
        "Status storms, hangs and broken bodies are survived",
        arguments: [
            Fault.status(503), .malformed, .empty, .oversized(2 << 20), .closeMidBody, .delay(.milliseconds(100)),
        ])
    func faults(fault: Fault) async throws {
        let c = try await ConnectedClient()
        await c.recorder.wait(for: "the client connected") { $0.contains(.stateChanged(.connected)) }
        // Subscribed first: a change published before the subscriptions would reach no one.
        await waitUntil("both subscriptions confirmed") { await c.subscribedCount() >= 2 }
        // An oversized reply once: two in a row are a queue the client leaves behind with
        // its session (`BayeuxClientTests.floodPastTheLimitRehandshakes`), losing this change.
        let count = if case .oversized = fault { 1 } else { 3 }
        await c.fixture.simulator.engine.inject(fault, count: count, target: .cometd)
        await c.fixture.simulator.engine.apply("Ready")
        await c.recorder.wait(for: "the change delivered despite the fault") { events in
            events.contains { if case .messages(let m) = $0 { !m.isEmpty } else { false } }
        }
        await waitUntil("the faults applied and the client connected again") {
            c.fixture.simulator.counters[.faultsApplied] == count && c.client.snapshot.state == .connected
        }
        await c.stop()
    }

    @Test("reconnect none from the server ends the client's session")
    func reconnectNone() async throws {
        let c = try await ConnectedClient()
        await c.recorder.wait(for: "the client connected") { $0.contains(.stateChanged(.connected)) }
        await c.fixture.simulator.engine.injectReconnectNone()
        #expect(await c.run.value == .serverRefused("403::server refused the session"))
        await c.fixture.stop()
    }

    @Test("Subscribes the server leaves unanswered beside the first connect are sent again, and succeed")
    func unansweredSubscribes() async throws {
        // Through the control endpoint, as a test of gws-sim as its own process would.
        let c = try await ConnectedClient { fixture in
            let injected = try? await fixture.post(
                "/sim/control/unanswered-subscribes", #"{"count": 2}"#,
                headers: [HTTPHeader("Content-Type", "application/json")])
            #expect(injected?.status == 200)
        }
        await c.recorder.wait(for: "both subscriptions confirmed") { events in
            events.filter { if case .subscribed = $0 { true } else { false } }.count == 2
        }
        #expect(c.fixture.simulator.engine.counters[.faultsApplied] == 2)
        // The first request carried both subscribes and the connect; later ones carried them again.
        let subscribes = await c.fixture.simulator.engine.requests.flatMap(\.channels).filter {
            $0 == "/meta/subscribe"
        }
        #expect(subscribes.count == 4)
        await c.stop()
    }

    @Test("multiple-clients advice is obeyed and visible in the client's status")
    func multipleClients() async throws {
        let c = try await ConnectedClient()
        await c.recorder.wait(for: "the client connected") { $0.contains(.stateChanged(.connected)) }
        await c.fixture.simulator.engine.injectMultipleClients(count: 2)
        await waitUntil("multiple-clients advice in the client's status") { c.client.snapshot.multipleClients }
        await c.stop()
    }

    @Test("Scripted activity changes the agent every interval of the simulator's clock")
    func scriptedActivity() async throws {
        let time = ManualTime()
        let c = try await ConnectedClient(clock: time.clock)
        await waitUntil("both subscriptions confirmed") { await c.subscribedCount() >= 2 }
        await c.fixture.simulator.engine.startScriptedActivity(interval: .seconds(3))
        for step in 1...3 {
            // The activity's own sleep (exactly 3 s from now: time stands still meanwhile),
            // not any sleeper: a parked long poll sleeps on this clock too, and a step
            // taken before the activity sleeps is lost.
            await waitUntil("the activity waiting for step \(step)") {
                time.deadlines.contains { $0 == time.now.advanced(by: .seconds(3)) }
            }
            time.advance(by: .seconds(3))
            await waitUntil("step \(step) applied") { c.fixture.simulator.counters[.operations] >= step }
            await c.recorder.wait(for: "step \(step) delivered") { events in
                events.filter { if case .messages = $0 { true } else { false } }.count >= step
            }
        }
        let script = GWSEngine.activityScript.prefix(3).map(\.operation)
        #expect(script == ["Ready", "DoNotDisturbOn", "NotReady"])
        #expect(await c.deviceStates().prefix(3) == ["Ready", "Ready", "NotReady"])
        await c.stop()
    }
}
