import AgentState
import Foundation
import GWSSimulator
import Testing

@Suite("Agent changes and server faults reach the state file", .serialized)
struct AgentChangeTests {
    @Test("DND on and off from another desktop")
    func dnd() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced(dnd: false) != nil)
            await f.simulator.engine.apply("DoNotDisturbOn")
            // Device and channel notifications may reach the file in separate writes.
            let on = await f.waitForState {
                $0.agent.devices.first?.dnd == true && $0.agent.channels.allSatisfy { $0.dnd == true }
            }
            #expect(on?.agent.devices.first?.dnd == true)
            #expect(on?.agent.channels.allSatisfy { $0.dnd == true } == true)
            await f.notify.wait(for: "STATUS=connected, NotReady, DND on") {
                $0.contains("STATUS=connected, NotReady, DND on")
            }
            await f.simulator.engine.apply("DoNotDisturbOff", scope: .device(try #require(on?.agent.devices.first?.id)))
            let deviceOff = await f.waitForState { $0.agent.devices.first?.dnd == false }
            // The device is off but the other channels still have DND on.
            #expect(deviceOff?.agent.dnd == true)
            await f.simulator.engine.apply("DoNotDisturbOff")
            #expect(await f.waitForState { $0.agent.dnd == false } != nil)
        }
    }

    @Test("Ready, NotReady, and a voice work mode")
    func readyNotReady() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced(agentState: "NotReady") != nil)
            let seqBefore = f.state()?.seq ?? 0
            await f.simulator.engine.apply("Ready")
            let ready = await f.waitForState { $0.agent.state == "Ready" }
            #expect(ready?.agent.devices.first?.state == "Ready")
            #expect(ready?.agent.lastNotificationAt != nil)
            #expect((ready?.seq ?? 0) > seqBefore)
            await f.simulator.engine.apply("NotReady")
            #expect(await f.waitForState { $0.agent.state == "NotReady" } != nil)
            await f.simulator.engine.apply("AfterCallWork", scope: .channel("voice"))
            // The device and the channel notifications may reach the file in separate writes.
            let acw = await f.waitForState {
                $0.agent.devices.first?.workMode == "AfterCallWork"
                    && $0.agent.channels.first { $0.name == "voice" }?.workMode == "AfterCallWork"
            }
            #expect(acw?.agent.state == "NotReady")
            #expect(acw?.agent.workMode == nil)
            #expect(acw?.agent.channels.first { $0.name == "voice" }?.workMode == "AfterCallWork")
        }
    }

    @Test("A dropped session is re-synced, including a change made while it was down")
    func droppedSession() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced(agentState: "NotReady") != nil)
            // Down: nobody is subscribed, so the change is published to no one.
            await f.simulator.stopListening()
            await f.simulator.engine.apply("Ready")
            await f.simulator.engine.apply("DoNotDisturbOn")
            #expect(await f.waitForState { !$0.connection.connected } != nil)
            try await f.simulator.startListening()
            let resynced = await f.waitForSynced(agentState: "Ready", dnd: true)
            #expect(resynced != nil)
            #expect((resynced?.connection.handshakes ?? 0) >= 2)
        }
    }

    @Test("Sessions dropped by the server (sweep) lead to a re-handshake and a fresh snapshot")
    func sessionsDropped() async throws {
        try await withDaemon { f in
            try f.start()
            let first = await f.waitForSynced()
            await f.simulator.engine.dropSessions()
            let second = await f.waitForState {
                $0.connection.handshakes == 2 && $0.agent.synced && $0.connection.connected
            }
            #expect(second != nil)
            #expect(second?.connection.clientID != first?.connection.clientID)
            await f.simulator.engine.apply("Ready")
            #expect(await f.waitForState { $0.agent.state == "Ready" } != nil)
        }
    }

    @Test("A server restart: reconnect, re-handshake, re-sync")
    func serverRestart() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            try await f.simulator.restart(downtime: .milliseconds(700))
            #expect(
                await f.waitForState { $0.connection.handshakes >= 2 && $0.agent.synced && $0.connection.connected }
                    != nil)
            await f.simulator.engine.apply("Ready")
            #expect(await f.waitForState { $0.agent.state == "Ready" } != nil)
        }
    }

    @Test("A 5xx storm is retried with backoff, not hammered, and the session recovers")
    func serverErrorStorm() async throws {
        try await withDaemon { f in
            try f.start()
            #expect(await f.waitForSynced() != nil)
            let before = await f.simulator.engine.requests.count
            await f.simulator.engine.inject(.status(503), count: 5, target: .cometd)
            let clock = ContinuousClock()
            let start = clock.now
            let recovered = await f.waitForState { document in
                document.connection.connected && document.agent.synced
                    && f.simulator.counters[.faultsApplied] >= 5
            }
            #expect(recovered != nil)
            let elapsed = start.duration(to: clock.now)
            let requests = await f.simulator.engine.requests.count - before
            // Linear backoff with jitter: 5 failures cannot take less than ~2 s or make
            // more requests than the failures plus a handful of successful exchanges.
            #expect(elapsed > .seconds(2))
            #expect(requests < 25)
            #expect(f.state()?.connection.lastError?.message.contains("503") == true)
        }
    }

    @Test(
        "Malformed, empty, oversized and truncated replies are survived",
        arguments: [
            Fault.malformed, .empty, .oversized(2 << 20), .closeMidBody,
        ])
    func brokenReplies(fault: Fault) async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            await f.simulator.engine.inject(fault, count: 2, target: .any)
            await f.simulator.engine.apply("Ready")
            let recovered = await f.waitForState { $0.agent.state == "Ready" && $0.agent.synced }
            #expect(recovered != nil)
            #expect(daemon.process.isRunning)
        }
    }

    @Test("reconnect: none from the server exits 69 with the reason in STATUS and the log")
    func reconnectNone() async throws {
        try await withDaemon { f in
            let daemon = try f.start()
            #expect(await f.waitForSynced() != nil)
            await f.simulator.engine.injectReconnectNone()
            #expect(await daemon.waitForExit() == 69)
            #expect(f.notify.assignments.contains { $0.hasPrefix("STATUS=failed: the server refused the session") })
            #expect(daemon.output.contains("giving up"))
            let final = f.state()
            #expect(final?.connection.state == .disconnected)
            #expect(final?.connection.lastError?.message.contains("refused") == true)
        }
    }

    @Test("Credentials refused again and again exit 77; the password never appears anywhere")
    func badCredentials() async throws {
        try await withDaemon { f in
            try Data("wrong-password-123\n".utf8).write(to: URL(fileURLWithPath: f.directory + "/password"))
            let daemon = try f.start()
            #expect(await daemon.waitForExit() == 77)
            #expect(f.notify.assignments.contains { $0.hasPrefix("STATUS=failed: authentication keeps failing") })
            #expect(!f.everythingWritten.contains("wrong-password-123"))
        }
    }
}
