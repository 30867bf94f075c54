import GWS
import Testing

@Suite("GWS REST reply decoding")
struct ReplyDecodingTests {
    @Test("The snapshot of GET /api/v2/me?subresources=* gives devices and channels")
    func snapshot() throws {
        let body = Array(
            """
            {"statusCode":0,"user":{"id":"57c0","userName":"ksippo","roles":["ROLE_AGENT"],
             "devices":[{"id":"7542eb95","deviceState":"Active","userState":{"id":"9430250E-0A1B-421F-B372-F29E69366DED",
               "displayName":"Ready","state":"Ready"},"phoneNumber":"7001","doNotDisturb":"Off",
               "capabilities":["ForwardCallsOn","DoNotDisturbOn"],"channels":["voice"]}],
             "channels":[{"channel":"chat","userState":{"state":"Ready"}},{"channel":"twitter","userState":{"state":"Ready"}}]}}
            """.utf8)
        let snapshot = try UserSnapshot.decode(body)
        #expect(snapshot.username == "ksippo")
        #expect(snapshot.devices.map(\.id) == ["7542eb95"])
        #expect(snapshot.devices.first?.doNotDisturb == false)
        #expect(snapshot.channels.map(\.name) == ["chat", "twitter"])
    }

    @Test("A minimal user, channelStates instead of channels, and a string statusCode")
    func minimalSnapshot() throws {
        let minimal = try UserSnapshot.decode(
            Array(
                #"{"user":{"userName":"a","devices":[],"channelStates":[{"channel":"voice","userState":{"state":"LoggedOut"}}]},"statusCode":"0"}"#
                    .utf8))
        #expect(
            minimal
                == UserSnapshot(
                    username: "a", devices: [],
                    channels: [ChannelResource(name: "voice", userState: UserState(state: "LoggedOut"), dnd: nil)]))
    }

    @Test("Snapshot errors name what is wrong")
    func snapshotErrors() {
        #expect(throws: GWSReplyError.status(code: 20, message: "User not authenticated")) {
            try UserSnapshot.decode(Array(#"{"statusCode":20,"statusMessage":"User not authenticated"}"#.utf8))
        }
        #expect(throws: GWSReplyError.unexpectedShape("no user object")) {
            try UserSnapshot.decode(Array(#"{"statusCode":0}"#.utf8))
        }
        #expect(throws: GWSReplyError.notJSON("empty body")) { try UserSnapshot.decode([UInt8]()) }
        #expect(throws: GWSReplyError.self) { try UserSnapshot.decode(Array("<html>502 Bad Gateway</html>".utf8)) }
        #expect(throws: GWSReplyError.unexpectedShape("not a JSON object")) {
            try UserSnapshot.decode(Array("[1]".utf8))
        }
    }

    @Test(
        "Operation replies in both formats",
        arguments: [
            (#"{"statusCode":0}"#, 200, OperationReply.accepted),
            (#"{"statusCode":"0"}"#, 200, .accepted),
            (#"{"status":"ok"}"#, 200, .accepted),
            (#"{"statusCode":7,"statusMessage":"chat failed"}"#, 200, .partiallyAccepted(message: "chat failed")),
            (#"{"statusCode":2,"statusMessage":"Invalid state"}"#, 400, .rejected(code: 2, message: "Invalid state")),
            (
                #"{"status":"error","errorDescription":"Agent is logged out"}"#, 400,
                .rejected(code: nil, message: "Agent is logged out")
            ),
            ("", 200, .accepted),
        ])
    func operationReplies(body: String, status: Int, expected: OperationReply) throws {
        #expect(try OperationReply.decode(httpStatus: status, body: Array(body.utf8)) == expected)
    }

    @Test("Operation replies that are not GWS replies are errors")
    func operationReplyErrors() {
        #expect(throws: GWSReplyError.self) { try OperationReply.decode(httpStatus: 200, body: Array("<html/>".utf8)) }
        #expect(throws: GWSReplyError.unexpectedShape("neither statusCode nor status")) {
            try OperationReply.decode(httpStatus: 200, body: Array("{}".utf8))
        }
        #expect(throws: GWSReplyError.unexpectedShape("statusCode is not a number")) {
            try OperationReply.decode(httpStatus: 200, body: Array(#"{"statusCode":"zero"}"#.utf8))
        }
        #expect(throws: GWSReplyError.notJSON("empty body with HTTP 502")) {
            try OperationReply.decode(httpStatus: 502, body: [UInt8]())
        }
    }

    @Test("Error descriptions carry the code's meaning and the server's message")
    func errorDescription() {
        #expect(
            GWSReplyError.status(code: 2, message: "Invalid state").description
                == "GWS error 2 (a parameter is not valid for the current state): Invalid state")
        #expect(GWSStatusCode.meaning(of: 99) == nil)
    }

    @Test("The agent-states settings list")
    func agentStates() throws {
        let body = Array(
            #"{"statusCode":0,"settings":[{"operationName":"Ready","state":"Ready","displayName":"Ready"},{"operationName":"OutToLunch","state":"NotReady","workMode":"AuxWork","reason":"Lunch","displayName":"Out to Lunch"},{"state":"x"}]}"#
                .utf8)
        let list = try AgentStateSetting.decodeList(body)
        #expect(list.map(\.operationName) == ["Ready", "OutToLunch"])
        #expect(list.last?.reason == "Lunch")
        #expect(throws: GWSReplyError.unexpectedShape("no settings array")) {
            try AgentStateSetting.decodeList(Array(#"{"statusCode":0}"#.utf8))
        }
    }

    @Test("Operations target the documented paths with escaped names")
    func operationPaths() {
        #expect(AgentOperation(name: "Ready").path == "/api/v2/me")
        #expect(AgentOperation(name: "NotReady", scope: .channel("voice")).path == "/api/v2/me/channels/voice")
        #expect(AgentOperation(name: "DoNotDisturbOn", scope: .device("a/b c")).path == "/api/v2/me/devices/a%2Fb%20c")
        #expect(
            String(decoding: AgentOperation(name: "AuxWork").body, as: UTF8.self) == #"{"operationName":"AuxWork"}"#)
    }
}
