import GWSSimulator
import HTTPTransport
import JSON
import Testing

@Suite("gws-sim calls")
struct CallTests {
    @Test("GWS's call operations, strictly: only the moves a call's state allows")
    func transitions() throws {
        var agent = SimulatedAgent(username: "a", password: "p")
        let started = agent.startCall(
            id: "c1", inbound: true, otherParty: "5550100", userData: [:], baseURL: "http://gws")
        let notification = try #require(started)
        #expect(notification.channel == "/v2/me/calls")
        #expect(notification.data["call"]?["state"] == "Ringing")
        // Refused in the wrong state, with statusCode 2; unknown calls with 6.
        for wrong in ["Hold", "Retrieve", "Establish"] {
            guard case .rejected(2, _) = agent.operateCall(id: "c1", operation: wrong, baseURL: "http://gws") else {
                Issue.record("\(wrong) on a ringing call must be refused")
                return
            }
        }
        guard case .rejected(6, _) = agent.operateCall(id: "nope", operation: "Answer", baseURL: "http://gws") else {
            Issue.record("an unknown call must be refused with 6")
            return
        }
        var states: [String] = []
        for operation in ["Answer", "Hold", "Retrieve", "Hangup"] {
            guard case .accepted(let notes) = agent.operateCall(id: "c1", operation: operation, baseURL: "http://gws")
            else {
                Issue.record("\(operation) refused")
                return
            }
            states += notes.compactMap { $0.data["call"]?["state"]?.stringValue }
        }
        #expect(states == ["Established", "Held", "Established", "Released"])
        #expect(agent.calls.isEmpty, "a released call is forgotten")
        // A dialed call: the far end answers it (Establish); Answer is the callee's move.
        _ = agent.startCall(id: "c2", inbound: false, otherParty: "5550100", userData: [:], baseURL: "http://gws")
        guard case .rejected = agent.operateCall(id: "c2", operation: "Answer", baseURL: "http://gws") else {
            Issue.record("Answer on a dialing call must be refused")
            return
        }
        guard case .accepted = agent.operateCall(id: "c2", operation: "Establish", baseURL: "http://gws") else {
            Issue.record("the far end answering a dialed call")
            return
        }
        #expect(agent.calls.first?.state == .established)
    }

    @Test("REST: GET /me/calls with fields lists calls, without it uris; POST /me/calls/{id} needs CSRF")
    func rest() async throws {
        let f = try await SimulatorFixture()
        let id = try #require(await f.simulator.engine.startCall(userData: ["k": "v"]))
        let listed = try JSONParser().parse(try await f.get("/api/v2/me/calls?fields=*").body)
        #expect(listed["statusCode"] == 0)
        #expect(listed["calls"]?.arrayValue?.first?["id"]?.stringValue == id)
        #expect(listed["calls"]?.arrayValue?.first?["state"] == "Ringing")
        #expect(listed["calls"]?.arrayValue?.first?["userData"]?["k"] == "v")
        let uris = try JSONParser().parse(try await f.get("/api/v2/me/calls").body)
        #expect(uris["uris"]?.arrayValue?.first?.stringValue?.hasSuffix("/api/v2/me/calls/" + id) == true)
        #expect(try await f.get("/api/v2/me/calls/nope").status == 404)
        #expect(
            try await f.post(
                "/api/v2/me/calls/\(id)", #"{"operationName":"Answer"}"#, headers: [SimulatorFixture.basic]
            ).status == 403)
        let csrf = try await f.login()
        let refused = try await f.post("/api/v2/me/calls/\(id)", #"{"operationName":"Retrieve"}"#, headers: [csrf])
        #expect(refused.status == 400)
        #expect(try JSONParser().parse(refused.body)["statusCode"] == 2)
        let answered = try await f.post("/api/v2/me/calls/\(id)", #"{"operationName":"Answer"}"#, headers: [csrf])
        #expect(answered.status == 200)
        #expect(await f.simulator.engine.agent()?.calls.first?.state == .established)
        let bad = try await f.post("/api/v2/me/calls/\(id)", #"{"operationName":"Dance"}"#, headers: [csrf])
        #expect(try JSONParser().parse(bad.body)["statusCode"] == 1)
        await f.stop()
    }

    @Test("The control endpoint rings, answers, attaches data and releases")
    func control() async throws {
        let f = try await SimulatorFixture()
        let rang = try JSONParser().parse(
            try await f.post("/sim/control/call", #"{"action":"ring","from":"5550123"}"#, headers: []).body)
        let id = try #require(rang["id"]?.stringValue)
        for action in ["answer", "hold", "retrieve"] {
            #expect(try await f.post("/sim/control/call", #"{"action":"\#(action)"}"#, headers: []).status == 200)
        }
        #expect(
            try await f.post("/sim/control/call", #"{"action":"attach","attached_data":{"a":"b"}}"#, headers: []).status
                == 200)
        #expect(await f.simulator.engine.agent()?.calls.first?.userData == ["a": "b"])
        #expect(try await f.post("/sim/control/call", #"{"action":"answer"}"#, headers: []).status == 400)
        #expect(
            try await f.post("/sim/control/call", #"{"action":"release","id":"\#(id)"}"#, headers: []).status == 200)
        #expect(await f.simulator.engine.agent()?.calls.isEmpty == true)
        #expect(try await f.post("/sim/control/call", #"{"action":"dance"}"#, headers: []).status == 400)
        #expect(f.simulator.counters[.callOperations] == 5)
        await f.stop()
    }
}
