import GWS
import JSON
import Testing

@Suite("Call decoding")
struct CallDecodingTests {
    private func json(_ text: String) throws -> JSONValue { try JSONParser().parse(Array(text.utf8)) }

    /// The call message GWS sends, with `state` and `notificationType` filled in.
    private func message(state: String, kind: String = "StatusChange") throws -> JSONValue {
        try json(
            #"""
            {"messageType":"CallStateChangeMessage","notificationType":"\#(kind)",
             "call":{"id":"0071025563e9f00f","state":"\#(state)","callUuid":"00QEAG4KU4A5P78IG2DAHG5AES00000F",
                     "deviceUri":"http://gws.example/api/v2/devices/bf78972f-a0f3-44da-9ca6-0a9a7ec5dbea",
                     "uri":"http://gws.example/api/v2/me/calls/0071025563e9f00f","participants":["1001"],
                     "participantsInfo":[{"digits":"1001","e164Number":"1001"}],"dnis":"1000","callType":"Internal",
                     "capabilities":["Hangup"],"userData":{"hello":"hola"},"duration":"13","mute":"Off"},
             "phoneNumber":"1000"}
            """#)
    }

    @Test(
        "Every call state, with its type, device, participants and attached data",
        arguments: ["Dialing", "Ringing", "Established", "Held", "Released", "Alerting"])
    func states(state: String) throws {
        let decoded = GWSNotification.decode(channel: "/v2/me/calls", data: try message(state: state))
        let expected = CallResource(
            id: "0071025563e9f00f", state: state, callType: "Internal",
            deviceID: "bf78972f-a0f3-44da-9ca6-0a9a7ec5dbea",
            participants: ["1001"], attachedData: ["hello": "hola"])
        #expect(decoded == .call(CallNotification(kind: "StatusChange", call: expected)))
        #expect(expected.isReleased == (state == "Released"))
    }

    @Test(
        "Each kind of call notification is read; the kind is kept",
        arguments: [
            "StatusChange", "ParticipantsUpdated", "AttachedDataChanged", "CallRecordingStateChange", "Error",
        ])
    func kinds(kind: String) throws {
        guard
            case .call(let notification) = GWSNotification.decode(
                channel: "/v2/me/calls", data: try message(state: "Established", kind: kind))
        else {
            Issue.record("a call notification of kind \(kind) must be read as a call")
            return
        }
        #expect(notification.kind == kind)
        #expect(notification.call.state == "Established")
    }

    @Test(
        "Malformed calls are ignored with a reason, never fatal",
        arguments: [
            #"{"messageType":"CallStateChangeMessage"}"#,
            #"{"messageType":"CallStateChangeMessage","call":"x"}"#,
            #"{"messageType":"CallStateChangeMessage","call":{"state":"Ringing"}}"#,
            #"{"messageType":"CallStateChangeMessage","call":{"id":"","state":"Ringing"}}"#,
            #"{"messageType":"CallStateChangeMessage","call":{"id":[1],"state":"Ringing"}}"#,
        ])
    func malformed(text: String) throws {
        guard case .ignored(let reason) = GWSNotification.decode(channel: "/v2/me/calls", data: try json(text)) else {
            Issue.record("\(text) must be ignored")
            return
        }
        #expect(reason.contains("without a call id"))
    }

    @Test("Lenient members: numbers as ids, participantsInfo without participants, odd types dropped")
    func lenient() throws {
        let text = #"""
            {"call":{"id":12345,"state":"Ringing","participantsInfo":[{"digits":"5550100"},{"e164Number":"+15550101"},7],
                     "userData":"not an object","deviceUri":"http://gws/api/v2/devices/","callType":null}}
            """#
        // Without messageType, a call object on /v2/me/calls is still a call.
        let decoded = GWSNotification.decode(channel: "/v2/me/calls", data: try json(text))
        #expect(
            decoded
                == .call(
                    CallNotification(
                        kind: nil,
                        call: CallResource(
                            id: "12345", state: "Ringing", callType: nil, deviceID: nil,
                            participants: ["5550100", "+15550101"], attachedData: nil))))
        // Elsewhere it is not.
        guard case .ignored = GWSNotification.decode(channel: "/v2/me/devices", data: try json(text)) else {
            Issue.record("a call object on /v2/me/devices is not a device message")
            return
        }
    }

    @Test("Participants and attached data are capped")
    func caps() throws {
        let participants = (0..<100).map { "\"\($0)\"" }.joined(separator: ",")
        let data = (0..<1000).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let call = try #require(
            CallResource(json: try json(#"{"id":"1","participants":[\#(participants)],"userData":{\#(data)}}"#)))
        #expect(call.participants?.count == CallResource.maximumParticipants)
        #expect(call.attachedData?.count == CallResource.maximumAttachedKeys)
    }

    @Test("GET /api/v2/me/calls?fields=*: the calls; a uris-only reply or an error status is refused")
    func list() throws {
        let body = Array(
            #"{"statusCode":0,"calls":[{"id":"a","state":"Held","callType":"Inbound"},"junk",{"state":"x"}]}"#.utf8)
        #expect(try CallResource.decodeList(body) == [CallResource(id: "a", state: "Held", callType: "Inbound")])
        #expect(try CallResource.decodeList(Array(#"{"statusCode":0,"calls":[]}"#.utf8)) == [])
        #expect(throws: GWSReplyError.unexpectedShape("no calls array")) {
            try CallResource.decodeList(Array(#"{"statusCode":0,"uris":["http://gws/api/v2/me/calls/a"]}"#.utf8))
        }
        #expect(throws: GWSReplyError.status(code: 3, message: "Internal error")) {
            try CallResource.decodeList(Array(#"{"statusCode":3,"statusMessage":"Internal error"}"#.utf8))
        }
        #expect(throws: GWSReplyError.notJSON("empty body")) { try CallResource.decodeList([UInt8]()) }
    }
}
