import AgentState
import GWSSimulator
import JSON
import TestSupport
import Testing

@testable import AgentDaemon

@Suite("Runner: calls against gws-sim")
struct RunnerCallsTests {
    /// Waits until the state file's call `id` is in `state` (with on_call true).
    @discardableResult
    func waitForCall(_ h: RunnerHarness, _ id: String, _ state: String) async -> StateDocument.Call? {
        await h.waitForSynced("call \(id) \(state) in the state file") { document in
            document.agent.onCall == true && document.agent.calls?.first { $0.id == id }?.state == state
        }?.agent.calls?.first { $0.id == id }
    }

    @Test("A call rung, answered, held, retrieved and released shows in the state file at each step")
    func lifecycle() async throws {
        let h = try await RunnerHarness()
        h.start()
        let first = await h.waitForSynced()
        #expect(first?.agent.onCall == false, "the resync read no calls: known to be off a call")
        #expect(first?.agent.calls == [])
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        let id = try #require(await h.engine.startCall(userData: ["account": "12-345"]))
        let ringing = await waitForCall(h, id, "Ringing")
        #expect(ringing?.type == "Inbound")
        let device = await h.engine.agent()?.devices.first?.id
        #expect(ringing?.deviceID == device)
        #expect(ringing?.since != nil)
        for (operation, state) in [("Answer", "Established"), ("Hold", "Held"), ("Retrieve", "Established")] {
            await waitUntil("the long poll parked before \(operation)") { await h.parkedPolls() == 1 }
            let outcome = await h.engine.operateCall(operation, id: id)
            guard case .accepted = outcome else {
                Issue.record("\(operation) refused: \(outcome)")
                return
            }
            await waitForCall(h, id, state)
        }
        await waitUntil("the long poll parked before Hangup") { await h.parkedPolls() == 1 }
        await h.engine.operateCall("Hangup", id: id)
        let released = await h.waitForSynced("the call released") { $0.agent.onCall == false }
        #expect(released?.agent.calls == [])
        #expect(released?.agent.state == "NotReady", "calls leave the agent state alone")
        // Personal data was never written: not by default.
        let text = try #require(h.directory.read("state.json"))
        #expect(!text.contains("12-345") && !text.contains("5550100"))
        // The entry of the release may follow the file's write that the wait above saw.
        await waitUntil("an entry for each of the five call states") {
            h.logMessages.filter { $0.hasPrefix("info: call ") }.count >= 5
        }
        #expect(h.logMessages.filter { $0.hasPrefix("info: call ") }.count == 5, "\(h.logMessages)")
        #expect(!h.logMessages.joined().contains("12-345"))
        #expect(await h.stop() == .stopped)
    }

    @Test("Calls survive a lost session: the resync re-reads them from REST, ended ones are gone")
    func resync() async throws {
        let h = try await RunnerHarness()
        h.start()
        await h.waitForSynced()
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        let kept = try #require(await h.engine.startCall())
        await waitForCall(h, kept, "Ringing")
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        let ended = try #require(await h.engine.startCall(inbound: false))
        await waitForCall(h, ended, "Dialing")
        await h.gws.restart()
        // While the sessions are gone: one call is answered, the other hangs up.
        await h.engine.operateCall("Answer", id: kept)
        await h.engine.operateCall("Hangup", id: ended)
        let document = await h.waitForSynced("resynced after the restart") {
            $0.connection.handshakes == 2 && $0.agent.calls?.map(\.id) == [kept]
        }
        #expect(document?.agent.calls?.first?.state == "Established")
        #expect(document?.agent.calls?.first?.since == nil, "a REST read does not say when it was answered")
        #expect(document?.agent.onCall == true)
        #expect(await h.requests().contains { $0.path == "/api/v2/me/calls" }, "read from GET /api/v2/me/calls")
        #expect(await h.stop() == .stopped)
    }

    @Test("A calls read GWS answers with an error: synced, calls unknown, and known again at the next resync")
    func unreadable() async throws {
        let h = try await RunnerHarness()
        await h.engine.inject(.status(500), count: 1, target: .calls)
        h.start()
        let document = await h.waitForSynced("synced without the calls")
        #expect(document?.agent.onCall == nil)
        #expect(h.logMessages.contains { $0.hasPrefix("warning: the agent's calls could not be read") })
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        await h.gws.restart()
        await h.waitForSynced("calls known after the next resync") {
            $0.connection.handshakes == 2 && $0.agent.onCall == false
        }
        #expect(await h.stop() == .stopped)
    }

    @Test("With calls.publish_details, participants and attached data are written, and never logged")
    func details() async throws {
        let h = try await RunnerHarness(publishCallDetails: true)
        h.start()
        await h.waitForSynced()
        await waitUntil("the long poll parked") { await h.parkedPolls() == 1 }
        let id = try #require(await h.engine.startCall(otherParty: "5550199", userData: ["account": "12-345"]))
        let call = await waitForCall(h, id, "Ringing")
        #expect(call?.participants == ["5550199"])
        #expect(call?.attachedData == ["account": "12-345"])
        #expect(!h.logMessages.joined().contains("12-345") && !h.logMessages.joined().contains("5550199"))
        #expect(await h.stop() == .stopped)
    }
}
