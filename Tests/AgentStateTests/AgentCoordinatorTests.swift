import BayeuxCore
import GWS
import JSON
import Testing

@testable import AgentState

@Suite("Session coordinator")
struct AgentCoordinatorTests {
    @Test("Start logs in, then starts Bayeux; synced only after subscriptions, a fresh snapshot and a connect")
    func startup() throws {
        var h = CoordinatorHarness()
        #expect(h.handle(.start) == [.logIn(token: 1, node: 0)])
        #expect(h.model.connection == .connecting)
        let afterLogin = try h.answerSnapshot(.success(snapshot(state: "NotReady")))
        #expect(afterLogin.contains(.startBayeux(generation: 1)))
        #expect(h.model.synced == false)
        try h.bayeux(.handshook(clientID: "c1"))
        try h.bayeux(.stateChanged(.connected))
        #expect(h.model.connection == .connected)
        #expect(try h.bayeux(.subscribed("/v2/me/devices")).isEmpty)
        #expect(h.model.synced == false)
        #expect(try h.bayeux(.subscribed("/v2/me/channels")) == [.fetchSnapshot(token: 2)])
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        #expect(h.model.synced)
        #expect(AgentSummary(h.model.cache).state == "Ready")
        #expect(h.model.clientID == "c1")
        #expect(h.model.handshakes == 1)
        #expect(h.model.statusLine == "connected, Ready, DND off")
    }

    @Test("Notifications update the picture; one info log per agent-level change")
    func notifications() throws {
        var h = CoordinatorHarness()
        try h.connect()
        let logsBefore = h.agentLogs.count
        try h.bayeux(.messages([deviceMessage("Ready"), channelMessage("Ready")]))
        #expect(AgentSummary(h.model.cache).state == "Ready")
        #expect(h.model.lastNotificationAt != nil)
        let newLogs = h.agentLogs.dropFirst(logsBefore)
        #expect(newLogs.map(\.message) == ["agent Ready, DND off"])
        #expect(newLogs.first?.metadata["agent.state"] == "Ready")
        // The devices and channels that reported the change, for GWS_DEVICE_ID and GWS_CHANNEL.
        #expect(newLogs.first?.metadata["gws.device_id"] == "d1")
        #expect(newLogs.first?.metadata["gws.channel"] == "voice")
        try h.bayeux(.messages([deviceMessage("Ready", dnd: true)]))
        #expect(AgentSummary(h.model.cache).dnd == true)
        #expect(h.agentLogs.last?.message == "agent Ready, DND on")
        try h.bayeux(.messages([deviceMessage("Ready", dnd: true)]))
        #expect(h.agentLogs.last?.message == "agent Ready, DND on")
        #expect(h.logs.filter { $0.message.hasPrefix("agent ") }.count == 2)
    }

    @Test("A change's entry says what it replaced: previous state, reason and DND, and the seconds spent in it")
    func changeEntryCarriesThePrevious() throws {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(.messages(bothMessages("Ready")))
        let first = try #require(h.agentLogs.last)
        #expect(first.message == "agent Ready, DND off")
        // The state before came from the snapshot: its start is unknown, so no duration.
        #expect(first.metadata["agent.previous_seconds"] == nil, "\(first.metadata)")
        #expect(first.metadata["agent.previous_state"] != nil)
        h.clock += 40
        try h.bayeux(.messages(bothMessages("NotReady", reason: "Lunch")))
        let second = try #require(h.agentLogs.last)
        #expect(second.metadata["agent.reason"] == "Lunch", "\(second.metadata)")
        #expect(second.metadata["agent.previous_state"] == "Ready")
        // One second per handled event in the harness: Ready began at the first message.
        #expect(second.metadata["agent.previous_seconds"] == "41.000", "\(second.metadata)")
        h.clock += 95
        try h.bayeux(.messages(bothMessages("Ready")))
        let third = try #require(h.agentLogs.last)
        #expect(third.message == "agent Ready, DND off")
        #expect(third.metadata["agent.previous_state"] == "NotReady")
        #expect(third.metadata["agent.previous_reason"] == "Lunch")
        #expect(third.metadata["agent.previous_dnd"] == "DND off")
        #expect(third.metadata["agent.reason"] == nil)
        #expect(third.metadata["agent.previous_seconds"] == "96.000", "\(third.metadata)")
        // The same state out of after-call work: a change, with the work mode it left.
        try h.bayeux(.messages(bothMessages("NotReady", workMode: "AfterCallWork")))
        try h.bayeux(.messages(bothMessages("NotReady")))
        let fifth = try #require(h.agentLogs.last)
        #expect(fifth.metadata["agent.state"] == "NotReady")
        #expect(fifth.metadata["agent.previous_state"] == "NotReady")
        #expect(fifth.metadata["agent.previous_work_mode"] == "AfterCallWork", "\(fifth.metadata)")
        #expect(AgentCoordinator<ManualInstant>.seconds(0.0304) == "0.030")
        #expect(AgentCoordinator<ManualInstant>.seconds(12.5) == "12.500")
    }

    @Test("A notification that arrives while the snapshot is in flight survives an older snapshot")
    func bufferDuringResync() throws {
        var h = CoordinatorHarness()
        h.handle(.start)
        try h.answerSnapshot(.success(snapshot(state: "NotReady")))
        try h.bayeux(.handshook(clientID: "c1"))
        try h.bayeux(.stateChanged(.connected))
        try h.bayeux(.subscribed("/v2/me/devices"))
        try h.bayeux(.subscribed("/v2/me/channels"))
        // The change is delivered before the (older) snapshot reply is processed.
        try h.bayeux(.messages([deviceMessage("Ready", dnd: true), channelMessage("Ready", dnd: true)]))
        try h.answerSnapshot(.success(snapshot(state: "NotReady")))
        #expect(AgentSummary(h.model.cache) == AgentSummary(state: "Ready", dnd: true))
        #expect(h.model.synced)
    }

    @Test("A re-handshake clears synced until the subscriptions and a new snapshot are back")
    func rehandshake() throws {
        var h = CoordinatorHarness()
        try h.connect()
        try h.bayeux(.stateChanged(.rehandshaking))
        #expect(h.model.connection == .rehandshaking)
        #expect(h.model.synced == false)
        try h.bayeux(.handshook(clientID: "c2"))
        try h.bayeux(.stateChanged(.connected))
        #expect(h.model.synced == false)
        try h.bayeux(.subscribed("/v2/me/devices"))
        try h.bayeux(.subscribed("/v2/me/channels"))
        // A change made while the session was down is only in the snapshot.
        try h.answerSnapshot(.success(snapshot(state: "NotReady", dnd: true)))
        #expect(h.model.synced)
        #expect(AgentSummary(h.model.cache).dnd == true)
        #expect(h.model.handshakes == 2)
        #expect(h.model.clientID == "c2")
    }

    @Test("Login failures are retried with growing backoff; the status line says when")
    func loginBackoff() throws {
        var h = CoordinatorHarness(
            settings: CoordinatorSettings(
                channels: ["/v2/me/devices"],
                backoff: BackoffPolicy(increment: .seconds(2), maximum: .seconds(5), jitter: 0)))
        h.handle(.start)
        try h.answerSnapshot(.failed("connection refused"))
        var delays: [Duration] = []
        for _ in 0..<4 {
            let (id, after) = try #require(h.lastTimer)
            delays.append(after)
            #expect(h.model.statusLine == "reconnecting in \(AgentModel.seconds(after)) s: connection refused")
            h.handle(.timerFired(id))
            try h.answerSnapshot(.failed("connection refused"))
        }
        #expect(delays == [.seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(h.model.lastError?.message == "connection refused")
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        #expect(h.lastGeneration == nil)
        // The stale answer above was ignored: only the newest request counts.
        let (id, _) = try #require(h.lastTimer)
        h.handle(.timerFired(id))
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        #expect(h.lastGeneration == 1)
        #expect(h.model.retry == nil)
    }

    @Test("Authentication that keeps failing ends the daemon, each refusal counted after the password is read again")
    func authenticationFailures() throws {
        var h = CoordinatorHarness()
        h.handle(.start)
        #expect(try h.answerSnapshot(.unauthorized("HTTP 401")) == [.rereadPassword(token: 1)])
        #expect(h.model.connection == .connecting)
        try h.answerPassword(.unchanged)
        h.handle(.timerFired(try #require(h.lastTimer).0))
        try h.answerSnapshot(.unauthorized("HTTP 401"))
        try h.answerPassword(.unreadable("permission denied"))
        h.handle(.timerFired(try #require(h.lastTimer).0))
        try h.answerSnapshot(.unauthorized("HTTP 401"))
        let last = try h.answerPassword(.unchanged)
        #expect(last.contains(.exit(.authenticationFailed("HTTP 401"))))
        #expect(h.model.connection == .disconnected)
        #expect(h.model.statusLine.hasPrefix("disconnected: authentication keeps failing"))
        // The refusal is logged once as a warning, then at debug level while it lasts.
        #expect(h.logs.filter { $0.level == .warning && $0.message.contains("refused the credentials") }.count == 1)
    }

    @Test("reconnect: none from the server ends the daemon with the server's error")
    func serverRefused() throws {
        var h = CoordinatorHarness()
        try h.connect()
        let actions = try h.bayeux(.ended(.serverRefused("403::no")))
        #expect(actions.contains(.exit(.serverRefused("403::no"))))
        #expect(try h.bayeux(.ended(.serverRefused("again"))).isEmpty)
    }

    @Test("Stop disconnects Bayeux, then finishes with the connection stopped")
    func stop() throws {
        var h = CoordinatorHarness()
        try h.connect()
        #expect(h.handle(.stop) == [.stopBayeux(generation: 1)])
        try h.bayeux(.stateChanged(.disconnected))
        #expect(h.model.connection == .stopped)
        #expect(try h.bayeux(.ended(.disconnected)) == [.finished])
        #expect(h.model.statusLine == "stopped")
        #expect(h.model.synced == false)
    }

    @Test("Stop while logging in finishes at once")
    func stopWhileLoggingIn() {
        var h = CoordinatorHarness()
        h.handle(.start)
        #expect(h.handle(.stop) == [.finished])
        #expect(h.handle(.snapshotFetched(token: 1, .success(snapshot(state: "Ready")))).isEmpty)
    }

    @Test("A reload that changes the server reconnects with a new login and a new Bayeux generation")
    func reconfigure() throws {
        var h = CoordinatorHarness()
        try h.connect()
        let settings = CoordinatorSettings(channels: ["/v2/me/devices"])
        #expect(h.handle(.reconfigure(settings, reconnect: true)).contains(.stopBayeux(generation: 1)))
        let after = try h.bayeux(.ended(.disconnected))
        #expect(after.contains { if case .logIn = $0 { true } else { false } })
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        #expect(h.lastGeneration == 2)
        // Events of the old client are ignored from now on.
        #expect(h.handle(.bayeux(generation: 1, .ended(.serverRefused(nil)))).isEmpty)
        #expect(h.handle(.reconfigure(settings, reconnect: false)).isEmpty)
    }

    @Test("A refused subscription leaves the picture unsynced and says why")
    func subscriptionRefused() throws {
        var h = CoordinatorHarness()
        h.handle(.start)
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        try h.bayeux(.handshook(clientID: "c1"))
        try h.bayeux(.stateChanged(.connected))
        try h.bayeux(.subscribed("/v2/me/devices"))
        try h.bayeux(.subscriptionFailed("/v2/me/channels", error: "403::denied"))
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        #expect(h.model.synced == false)
        #expect(h.model.lastError?.message == "subscription to /v2/me/channels refused: 403::denied")
    }

    @Test("A failed resync is retried and the daemon keeps its Bayeux session")
    func resyncRetry() throws {
        var h = CoordinatorHarness()
        h.handle(.start)
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        try h.bayeux(.handshook(clientID: "c1"))
        try h.bayeux(.stateChanged(.connected))
        try h.bayeux(.subscribed("/v2/me/devices"))
        try h.bayeux(.subscribed("/v2/me/channels"))
        try h.answerSnapshot(.failed("HTTP 503"))
        #expect(h.model.synced == false)
        let (id, _) = try #require(h.lastTimer)
        #expect(h.handle(.timerFired(id)).count == 1)
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        #expect(h.model.synced)
        #expect(!h.actions.contains { if case .stopBayeux = $0 { true } else { false } })
    }

    @Test("StartContactCenterSession is posted only when configured, after the subscriptions")
    func startContactCenterSession() throws {
        var h = CoordinatorHarness(
            settings: CoordinatorSettings(channels: ["/v2/me/devices"], startContactCenterSession: true))
        h.handle(.start)
        try h.answerSnapshot(.success(snapshot(state: "LoggedOut")))
        try h.bayeux(.handshook(clientID: "c1"))
        #expect(!h.actions.contains(.postOperation("StartContactCenterSession")))
        let actions = try h.bayeux(.subscribed("/v2/me/devices"))
        #expect(actions.first == .postOperation("StartContactCenterSession"))
        var plain = CoordinatorHarness()
        try plain.connect()
        #expect(!plain.actions.contains(.postOperation("StartContactCenterSession")))
    }

    @Test("Too many notifications during a resync restart it with an empty buffer")
    func bufferOverflow() throws {
        var h = CoordinatorHarness(
            settings: CoordinatorSettings(channels: ["/v2/me/devices"], maxBufferedNotifications: 3))
        h.handle(.start)
        try h.answerSnapshot(.success(snapshot(state: "Ready")))
        try h.bayeux(.handshook(clientID: "c1"))
        try h.bayeux(.subscribed("/v2/me/devices"))
        let first = try #require(h.lastFetchToken)
        try h.bayeux(.messages((0..<4).map { _ in deviceMessage("NotReady") }))
        #expect(h.lastFetchToken == first + 1)
        #expect(h.handle(.snapshotFetched(token: first, .success(snapshot(state: "Ready")))).isEmpty)
    }
}
