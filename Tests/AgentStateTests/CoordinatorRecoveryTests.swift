import BayeuxCore
import GWS
import Testing

@testable import AgentState

/// How the coordinator recovers from everything GWS can do to a session: a forgotten HTTP
/// session, refused credentials, a failing node of a cluster.
@Suite("Session coordinator: recovery")
struct SessionRecoveryTests {
    static let csrf403 = RequestFailure(.http, "HTTP 403: Missing or invalid Csrf token", httpStatus: 403)
    static let refused = RequestFailure(.connect, "connection failed: Connection refused")

    static func abandoned(_ actions: [CoordinatorAction]) -> [Int] {
        actions.compactMap { if case .abandonBayeux(let generation) = $0 { generation } else { nil } }
    }

    /// Handshake, subscriptions and the resync of the newest client.
    static func resync(_ h: inout CoordinatorHarness, clientID: String, state: String = "NotReady") throws {
        try h.bayeux(.handshook(clientID: clientID))
        try h.bayeux(.stateChanged(.connected))
        try h.bayeux(.subscribed("/v2/me/devices"))
        try h.bayeux(.subscribed("/v2/me/channels"))
        try h.answerSnapshot(.success(snapshot(state: state)))
    }

    @Test("A 403 on CometD: the client is dropped, a fresh login at once, a new handshake and resync")
    func csrfRefusedOnCometD() throws {
        var h = CoordinatorHarness()
        try h.connect()
        let actions = try h.bayeux(.requestFailed(Self.csrf403))
        #expect(Self.abandoned(actions) == [1])
        #expect(actions.last == .logIn(token: 3, node: 0))
        #expect(h.model.connection == .rehandshaking)
        #expect(h.model.synced == false)
        #expect(h.model.lastError?.message.contains("Missing or invalid Csrf token") == true)
        #expect(h.model.statusLine.hasPrefix("session lost, reconnecting: GWS refused the HTTP session: HTTP 403"))
        #expect(h.model.httpSessionLosses == 1)
        // Whatever the dropped client still reports is ignored.
        #expect(h.handle(.bayeux(generation: 1, .ended(nil))).isEmpty)
        #expect(h.handle(.bayeux(generation: 1, .requestFailed(Self.csrf403))).isEmpty)
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        #expect(h.lastGeneration == 2)
        try Self.resync(&h, clientID: "c2", state: "Ready")
        #expect(h.model.synced)
        #expect(h.model.connection == .connected)
        #expect(h.logins == 2)
    }

    @Test("A 401 on CometD is a lost session too: the next login, refused, re-reads the password")
    func unauthorizedOnCometD() throws {
        var h = CoordinatorHarness()
        try h.connect()
        let actions = try h.bayeux(.requestFailed(RequestFailure(.http, "HTTP 401", httpStatus: 401)))
        #expect(Self.abandoned(actions) == [1])
        #expect(try h.answerSnapshot(.unauthorized("HTTP 401")) == [.rereadPassword(token: 3)])
        // The password on disk was rotated with the server's: log in at once, nothing counted.
        let changed = try h.answerPassword(.changed)
        #expect(changed.last == .logIn(token: 4, node: 0))
        #expect(h.coordinator.authFailures == 0)
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        try Self.resync(&h, clientID: "c2")
        #expect(h.model.synced)
    }

    @Test("A 401 or 403 on the resync snapshot logs in again in a fresh session")
    func refusedResync() throws {
        for outcome in [SnapshotOutcome.unauthorized("HTTP 401"), .forbidden("Missing or invalid Csrf token")] {
            var h = CoordinatorHarness()
            h.handle(.start)
            try h.answerSnapshot(.success(snapshot(state: "Ready")))
            try h.bayeux(.handshook(clientID: "c1"))
            try h.bayeux(.stateChanged(.connected))
            try h.bayeux(.subscribed("/v2/me/devices"))
            let actions = try h.bayeux(.subscribed("/v2/me/channels"))
            #expect(actions == [.fetchSnapshot(token: 2)])
            let lost = try h.answerSnapshot(outcome)
            #expect(Self.abandoned(lost) == [1])
            #expect(lost.last == .logIn(token: 3, node: 0))
            try h.answerSnapshot(.success(snapshot(state: "Ready")))
            try Self.resync(&h, clientID: "c2")
            #expect(h.model.synced)
        }
    }

    @Test("Every login accepted and the next request refused: logins are paced by the backoff")
    func pacedLogins() throws {
        var h = CoordinatorHarness()
        h.handle(.start)
        var loginTimes: [Duration] = []
        // 60 s of a server that logs in and then refuses the handshake, every time.
        while h.now.offset < .seconds(60) {
            loginTimes.append(h.now.offset)
            try h.answerSnapshot(.success(snapshot(state: "Ready")))
            let actions = try h.bayeux(.requestFailed(Self.csrf403))
            if actions.last == .logIn(token: h.lastFetchToken ?? 0, node: 0) { continue }
            let (id, delay) = try #require(h.lastTimer)
            #expect(delay > .zero)
            h.advance(by: delay)
            h.handle(.timerFired(id))
        }
        // Never a tight loop: the first retry at once, then a growing wait, at most 30 s.
        let perSecondWindows = loginTimes.map { start in loginTimes.filter { $0 >= start && $0 < start + .seconds(1) } }
        #expect(perSecondWindows.allSatisfy { $0.count <= 3 }, "more than 3 logins in one second: \(loginTimes)")
        #expect(loginTimes.count < 15, "\(loginTimes.count) logins in 60 s")
        #expect(h.model.httpSessionLosses == loginTimes.count)
    }

    @Test("Losses far apart are not paced: after a stable period the next loss logs in at once")
    func lossesFarApart() throws {
        var h = CoordinatorHarness()
        for round in 0..<4 {
            if round == 0 {
                try h.connect()
            } else {
                try h.answerSnapshot(.success(snapshot(state: "Ready")))
                try Self.resync(&h, clientID: "c\(round + 1)")
            }
            #expect(h.model.synced)
            h.advance(by: .seconds(120))
            let actions = try h.bayeux(.requestFailed(Self.csrf403))
            #expect(actions.last == .logIn(token: try #require(h.lastFetchToken), node: 0), "round \(round)")
        }
    }

    @Test("A Bayeux re-sync between two losses does not restart the stable period")
    func resyncKeepsStablePeriod() throws {
        var h = CoordinatorHarness()
        try h.connect()
        // A first loss, and the recovery that starts the stable period.
        try h.bayeux(.requestFailed(Self.csrf403))
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        try Self.resync(&h, clientID: "c2")
        h.advance(by: .seconds(30))
        // The Bayeux session is swept and made again in the same HTTP session.
        try h.bayeux(.stateChanged(.rehandshaking))
        try Self.resync(&h, clientID: "c3")
        h.advance(by: .seconds(5))
        let actions = try h.bayeux(.requestFailed(Self.csrf403))
        #expect(actions.last == .logIn(token: try #require(h.lastFetchToken), node: 0), "paced, as if consecutive")
    }

    @Test("Three node failures in a row move to the next node of the cluster, which is kept")
    func failover() throws {
        let servers = ["https://gws1.example.com", "https://gws2.example.com"]
        var h = CoordinatorHarness(
            settings: CoordinatorSettings(channels: ["/v2/me/devices", "/v2/me/channels"], servers: servers))
        try h.connect()
        #expect(h.model.server == servers[0])
        #expect(try h.bayeux(.requestFailed(Self.refused)).isEmpty)
        #expect(try h.bayeux(.requestFailed(RequestFailure(.http, "HTTP 503", httpStatus: 503))).isEmpty)
        let moved = try h.bayeux(.requestFailed(Self.refused))
        #expect(Self.abandoned(moved) == [1])
        #expect(moved.last == .logIn(token: 3, node: 1))
        #expect(h.model.server == servers[1])
        #expect(h.model.failovers == 1)
        #expect(h.logs.contains { $0.level == .warning && $0.metadata["gws.next_server"] == servers[1] })
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        try Self.resync(&h, clientID: "n2")
        #expect(h.model.synced)
        // A success resets the count: two failures and a recovery stay on the node.
        try h.bayeux(.requestFailed(Self.refused))
        try h.bayeux(.stateChanged(.unconnected))
        try h.bayeux(.requestFailed(Self.refused))
        try h.bayeux(.stateChanged(.connected))
        #expect(try h.bayeux(.requestFailed(Self.refused)).isEmpty)
        #expect(h.model.server == servers[1])
    }

    @Test("Login failures of a node count too; a 4xx or a bad reply does not move")
    func failoverAtLogin() throws {
        var h = CoordinatorHarness(
            settings: CoordinatorSettings(
                channels: ["/v2/me/devices"], servers: ["http://a:1", "http://b:2", "http://c:3"], failoverAfter: 2))
        h.handle(.start)
        try h.answerSnapshot(.failed("HTTP 404"))
        h.handle(.timerFired(try #require(h.lastTimer).0))
        try h.answerSnapshot(.nodeFailed("timed out"))
        h.handle(.timerFired(try #require(h.lastTimer).0))
        #expect(try h.answerSnapshot(.nodeFailed("HTTP 502")).last == .logIn(token: 4, node: 1))
        try h.answerSnapshot(.nodeFailed("timed out"))
        h.handle(.timerFired(try #require(h.lastTimer).0))
        #expect(try h.answerSnapshot(.nodeFailed("timed out")).last == .logIn(token: 6, node: 2))
        try h.answerSnapshot(.nodeFailed("timed out"))
        h.handle(.timerFired(try #require(h.lastTimer).0))
        // Round the list again.
        #expect(try h.answerSnapshot(.nodeFailed("timed out")).last == .logIn(token: 8, node: 0))
        #expect(h.model.failovers == 3)
    }

    @Test("With one server, node failures never move anywhere: the Bayeux client keeps retrying")
    func singleServer() throws {
        var h = CoordinatorHarness(settings: CoordinatorSettings(channels: ["/v2/me/devices"], servers: ["http://a:1"]))
        h.handle(.start)
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        for _ in 0..<10 { #expect(try h.bayeux(.requestFailed(Self.refused)).isEmpty) }
        #expect(h.model.failovers == 0)
        #expect(h.logins == 1)
    }

    @Test("A failure that repeats is logged once as a warning, again after a recovery")
    func loggedOnce() throws {
        var h = CoordinatorHarness()
        h.handle(.start)
        for _ in 0..<5 {
            try h.answerSnapshot(.failed("HTTP 404"))
            h.handle(.timerFired(try #require(h.lastTimer).0))
        }
        #expect(h.logs.filter { $0.level == .warning }.map(\.message) == ["GWS request failed: HTTP 404"])
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        try Self.resync(&h, clientID: "c1")
        let actions = try h.bayeux(.requestFailed(Self.csrf403))
        try h.answerSnapshot(.failed("HTTP 404"))
        #expect(actions.contains { if case .log(let log) = $0 { log.level == .warning } else { false } })
        #expect(h.logs.filter { $0.level == .warning }.count == 3)
    }

    @Test("Stop during a password check finishes at once; a late answer is ignored")
    func stopWhileCheckingPassword() throws {
        var h = CoordinatorHarness()
        h.handle(.start)
        try h.answerSnapshot(.unauthorized("HTTP 401"))
        #expect(h.handle(.stop) == [.finished])
        #expect(try h.answerPassword(.changed).isEmpty)
    }

    @Test("A reload that changes the servers starts again on the first node of the new list")
    func reloadResetsNode() throws {
        var h = CoordinatorHarness(
            settings: CoordinatorSettings(channels: ["/v2/me/devices"], servers: ["http://a:1", "http://b:2"]))
        h.handle(.start)
        for _ in 0..<3 {
            try h.answerSnapshot(.nodeFailed("refused"))
            if let (id, _) = h.lastTimer, h.lastLogin?.node == 0 { h.handle(.timerFired(id)) }
        }
        #expect(h.lastLogin?.node == 1)
        let actions = h.handle(
            .reconfigure(
                CoordinatorSettings(channels: ["/v2/me/devices"], servers: ["http://c:3", "http://d:4"]),
                reconnect: true))
        #expect(actions.last == .logIn(token: try #require(h.lastFetchToken), node: 0))
        #expect(h.model.server == "http://c:3")
    }
}
