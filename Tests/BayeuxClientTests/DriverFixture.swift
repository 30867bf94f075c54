import BayeuxClient
import BayeuxCore
import CurlTransport
import Foundation
import GWSSimulator
import HTTPTransport
import JSON
import Locking
import Logging
import ScriptedHTTPServer
import TestSupport
import Testing
import Timekeeping

/// gws-sim (its engine served over HTTP) with one agent, a Bayeux client pointed at its
/// CometD endpoint over libcurl, and a recorder of the client's events. The client sends
/// Basic credentials on every request; the CSRF check on CometD is off, so that the driver
/// is tested without a GWS login in front of it.
struct DriverFixture {
    static let credentials = "Basic " + Data("agent1:secret".utf8).base64EncodedString()

    let simulator: GWSSimulator
    /// Every request the server answered, headers included.
    let seen: Locked<[RecordedRequest]>
    let http: CurlHTTPClient
    let client: BayeuxClient<InjectedClock>
    let recorder = EventRecorder<BayeuxEvent>()
    let run: Task<TerminationReason?, Never>

    /// - Parameters:
    ///   - hold: how long the server holds a long poll.
    ///   - clock: the client's clock (its backoff and timers); real time by default.
    init(
        hold: Duration = .milliseconds(50), maxResponseSize: Int = 1 << 20,
        backoff: BackoffPolicy = BackoffPolicy(increment: .milliseconds(100), maximum: .milliseconds(400)),
        clock: InjectedClock = .system
    ) async throws {
        simulator = GWSSimulator(
            configuration: SimulatorConfiguration(
                agents: [SimulatedAgent(username: "agent1", password: "secret")],
                cometd: CometDSettings(timeout: hold, maxInterval: .seconds(60)), csrfOnCometD: false))
        let seen = Locked<[RecordedRequest]>([])
        self.seen = seen
        let url = try await simulator.start(onWrite: { request in seen.withLock { $0.append(request) } })
        http = try #require(CurlHTTPClient(configuration: CurlConfiguration(maxResponseSize: maxResponseSize)))
        client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: url + "/api/v2/notifications",
                session: SessionConfiguration(maxNetworkDelay: .seconds(5), backoff: backoff),
                subscriptions: ["/v2/me/devices"],
                headers: { [HTTPHeader("X-CSRF-TOKEN", "csrf-secret"), HTTPHeader("Authorization", Self.credentials)] }
            ),
            http: http, clock: clock, logger: Logger(label: "test"))
        await recorder.record(client.events)
        let client = self.client
        run = Task { await client.run() }
    }

    /// Every message the client sent on `channel`.
    func sent(on channel: String) -> [BayeuxMessage] {
        seen.withLock { $0 }.flatMap { (try? BayeuxCodec.decode($0.body)) ?? [] }.filter { $0.channel == channel }
    }

    func stop() async {
        client.disconnect()
        _ = await run.value
        http.shutdown()
        await simulator.stop()
    }

    /// Waits until the client has connected `times` times.
    func waitConnected(times: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) async {
        await recorder.wait(for: "connected \(times) time(s)", sourceLocation: sourceLocation) {
            $0.filter { $0 == .stateChanged(.connected) }.count >= times
        }
    }
}
