import CurlTransport
import GWSSimulator
import HTTPTransport
import JSON
import Testing

@Suite("gws-sim REST")
struct RESTTests {
    @Test("GET /api/v2/me gives the session cookie, the CSRF pair and the snapshot")
    func snapshot() async throws {
        let f = try await SimulatorFixture()
        let response = try await f.get("/api/v2/me?subresources=*")
        #expect(response.status == 200)
        #expect(response.header("Set-Cookie")?.hasPrefix("JSESSIONID=") == true)
        #expect(response.header("X-CSRF-HEADER") == "X-CSRF-TOKEN")
        #expect(response.header("X-CSRF-TOKEN")?.count == 36)
        let body = try JSONParser().parse(response.body)
        #expect(body["statusCode"] == 0)
        #expect(body["user"]?["userName"] == "agent1")
        #expect(body["user"]?["devices"]?.arrayValue?.first?["userState"]?["state"] == "NotReady")
        #expect(
            body["user"]?["channels"]?.arrayValue?.compactMap { $0["channel"]?.stringValue } == [
                "voice", "chat", "email",
            ])
        let plain = try JSONParser().parse(try await f.get("/api/v2/me").body)
        #expect(plain["user"]?["devices"] == nil)
        await f.stop()
    }

    @Test("Devices, channels and agent-state settings can be read")
    func reads() async throws {
        let f = try await SimulatorFixture()
        let devices = try JSONParser().parse(try await f.get("/api/v2/me/devices?fields=*").body)
        #expect(devices["devices"]?.arrayValue?.count == 1)
        let uris = try JSONParser().parse(try await f.get("/api/v2/me/devices").body)
        #expect(uris["uris"]?.arrayValue?.count == 1)
        let channels = try JSONParser().parse(try await f.get("/api/v2/me/channels").body)
        #expect(channels["channels"]?.arrayValue?.count == 3)
        let states = try JSONParser().parse(try await f.get("/api/v2/settings/agent-states").body)
        #expect(
            states["settings"]?.arrayValue?.compactMap { $0["operationName"]?.stringValue }.contains("OutToLunch")
                == true)
        await f.stop()
    }

    @Test("Bad credentials get 401; POSTs without the cookie or the CSRF token get 403")
    func authAndCSRF() async throws {
        let f = try await SimulatorFixture()
        #expect(
            try await f.get("/api/v2/me", headers: [HTTPHeader("Authorization", "Basic YWdlbnQxOndyb25n")]).status
                == 401)
        #expect(try await f.get("/api/v2/me", headers: []).status == 401)
        let csrf = try await f.login()
        let noToken = try await f.post("/api/v2/me", #"{"operationName":"Ready"}"#, headers: [])
        #expect(noToken.status == 403)
        #expect(String(decoding: noToken.body, as: UTF8.self) == "Missing or invalid Csrf token")
        #expect(
            try await f.post(
                "/api/v2/me", #"{"operationName":"Ready"}"#, headers: [HTTPHeader("X-CSRF-TOKEN", "forged")]
            ).status == 403)
        await f.http.clearCookies()
        #expect(
            try await f.post("/api/v2/me", #"{"operationName":"Ready"}"#, headers: [csrf, SimulatorFixture.basic])
                .status == 403)
        #expect(f.simulator.counters[.csrfFailures] == 3)
        await f.stop()
    }

    @Test("Operations change the agent per scope and answer statusCode 0")
    func operations() async throws {
        let f = try await SimulatorFixture()
        let csrf = try await f.login()
        let ok = try await f.post("/api/v2/me", #"{"operationName":"Ready"}"#, headers: [csrf])
        #expect(String(decoding: ok.body, as: UTF8.self) == #"{"statusCode":0}"#)
        var agent = try #require(await f.simulator.engine.agent())
        #expect(
            agent.devices.allSatisfy { $0.state.state == "Ready" }
                && agent.channels.allSatisfy { $0.state.state == "Ready" })
        _ = try await f.post("/api/v2/me/channels/chat", #"{"operationName":"NotReady"}"#, headers: [csrf])
        _ = try await f.post("/api/v2/me/channels/voice", #"{"operationName":"AfterCallWork"}"#, headers: [csrf])
        let deviceID = agent.devices[0].id
        _ = try await f.post("/api/v2/me/devices/\(deviceID)", #"{"operationName":"DoNotDisturbOn"}"#, headers: [csrf])
        agent = try #require(await f.simulator.engine.agent())
        #expect(agent.channels.map(\.state.state) == ["NotReady", "NotReady", "Ready"])
        #expect(agent.devices[0].state.workMode == "AfterCallWork")
        #expect(agent.devices[0].dnd && agent.channels[0].dnd && !agent.channels[1].dnd)
        await f.stop()
    }

    @Test(
        "Errors carry statusCode and statusMessage",
        arguments: [
            ("/api/v2/me", #"{"operationName":"AuxWork"}"#, 400, 2),
            ("/api/v2/me/channels/fax", #"{"operationName":"Ready"}"#, 404, 6),
            ("/api/v2/me/devices/nope", #"{"operationName":"DoNotDisturbOn"}"#, 404, 6),
            ("/api/v2/me", #"{"name":"Ready"}"#, 400, 1),
            ("/api/v2/me", "not json", 400, 1),
            ("/api/v2/me", #"{"operationName":"Dance"}"#, 400, 2),
        ])
    func errors(path: String, body: String, status: Int, statusCode: Int64) async throws {
        let f = try await SimulatorFixture()
        let csrf = try await f.login()
        let response = try await f.post(path, body, headers: [csrf])
        #expect(response.status == status)
        let json = try JSONParser().parse(response.body)
        #expect(json["statusCode"] == .int(statusCode))
        #expect(json["statusMessage"]?.stringValue?.isEmpty == false)
        await f.stop()
    }

    @Test("An operation invalid in the current state is refused with statusCode 2")
    func invalidInState() async throws {
        let f = try await SimulatorFixture()
        let csrf = try await f.login()
        #expect(
            try await f.post("/api/v2/me/channels/voice", #"{"operationName":"Offline"}"#, headers: [csrf]).status
                == 200)
        let refused = try await f.post("/api/v2/me/channels/voice", #"{"operationName":"Ready"}"#, headers: [csrf])
        #expect(try JSONParser().parse(refused.body)["statusCode"] == 2)
        #expect(
            try await f.post("/api/v2/me", #"{"operationName":"StartContactCenterSession"}"#, headers: [csrf]).status
                == 200)
        #expect(
            try await f.post("/api/v2/me/channels/voice", #"{"operationName":"Ready"}"#, headers: [csrf]).status == 200)
        await f.stop()
    }

    @Test("The legacy switch answers {status: ok} and {status: error, errorDescription}")
    func legacyFormat() async throws {
        let f = try await SimulatorFixture(SimulatorConfiguration(legacyReplies: true))
        let csrf = try await f.login()
        let ok = try await f.post("/api/v2/me", #"{"operationName":"Ready"}"#, headers: [csrf])
        #expect(try JSONParser().parse(ok.body) == ["status": "ok"])
        let error = try JSONParser().parse(
            try await f.post("/api/v2/me/channels/fax", #"{"operationName":"Ready"}"#, headers: [csrf]).body)
        #expect(error["status"] == "error")
        #expect(error["errorDescription"]?.stringValue?.contains("fax") == true)
        await f.stop()
    }
}
