import GWS
import JSON
import Testing

/// Parses a JSON literal used as a fixture.
func json(_ text: String) throws -> JSONValue { try JSONParser().parse(text) }

@Suite("GWS notification decoding")
struct NotificationDecodingTests {
    @Test("The documented DeviceStateChangeMessage after DoNotDisturbOn decodes to a full device")
    func deviceMessage() throws {
        let data = try json(
            """
            {"messageType":"DeviceStateChangeMessage","devices":[{
               "id":"efe1ab32-53f9-43ce-b65e-5768c61f7d4a","deviceState":"Active",
               "userState":{"id":"9430250E-0A1B-421F-B372-F29E69366DED","displayName":"Ready","state":"Ready"},
               "phoneNumber":"5005","e164Number":"5005","telephonyNetwork":"Private","doNotDisturb":"On",
               "capabilities":["DoNotDisturbOff","ForwardCallsOn","ListenIn","Coach","BargeIn"]}]}
            """)
        let decoded = GWSNotification.decode(channel: "/v2/me/devices", data: data)
        guard case .devices(let devices) = decoded else {
            Issue.record("expected devices, got \(decoded)")
            return
        }
        #expect(devices.count == 1)
        #expect(devices.first?.id == "efe1ab32-53f9-43ce-b65e-5768c61f7d4a")
        #expect(devices.first?.doNotDisturb == true)
        #expect(
            devices.first?.userState
                == UserState(
                    state: "Ready", displayName: "Ready", id: "9430250E-0A1B-421F-B372-F29E69366DED"))
        #expect(devices.first?.phoneNumber == "5005")
        #expect(devices.first?.capabilities?.first == "DoNotDisturbOff")
    }

    @Test("AfterCallWork carries a work mode; a device may report only a state")
    func workModeAndMinimalUserState() throws {
        let acw = try json(
            """
            {"messageType":"DeviceStateChangeMessage","devices":[{"id":"d1","userState":
             {"id":"D3663509-3D82-4DD3-A82E-2EA8EFA02AEF","displayName":"AfterCallWork","state":"NotReady","workMode":"AfterCallWork"},
             "doNotDisturb":"Off"}]}
            """)
        #expect(
            GWSNotification.decode(channel: "/v2/me/devices", data: acw)
                == .devices([
                    DeviceResource(
                        id: "d1", deviceState: nil,
                        userState: UserState(
                            state: "NotReady", workMode: "AfterCallWork", displayName: "AfterCallWork",
                            id: "D3663509-3D82-4DD3-A82E-2EA8EFA02AEF"),
                        doNotDisturb: false)
                ]))
        let minimal = try json(
            #"{"messageType":"DeviceStateChangeMessage","devices":[{"userState":{"state":"LoggedIn"}}]}"#)
        #expect(
            GWSNotification.decode(channel: "/v2/me/devices", data: minimal)
                == .devices([
                    DeviceResource(
                        id: nil, deviceState: nil, userState: UserState(state: "LoggedIn"), doNotDisturb: nil)
                ]))
    }

    @Test("ChannelStateChangeMessageV2, and the pre-release form without messageType or channel")
    func channelMessages() throws {
        let v2 = try json(
            """
            {"messageType":"ChannelStateChangeMessageV2","channels":[{"channel":"email","dndState":"Off",
             "userState":{"displayName":"Not Ready","id":"900D55CC-2BB0-431F-8BF9-D3525B383BE6","state":"NotReady"}}]}
            """)
        #expect(
            GWSNotification.decode(channel: "/v2/me/channels", data: v2)
                == .channels([
                    ChannelResource(
                        name: "email",
                        userState: UserState(
                            state: "NotReady", displayName: "Not Ready", id: "900D55CC-2BB0-431F-8BF9-D3525B383BE6"),
                        dnd: false)
                ]))
        let legacy = try json(#"{"channels":[{"dndState":"On","userState":{"state":"NotReady"}}]}"#)
        #expect(
            GWSNotification.decode(channel: "/v2/me/channels", data: legacy)
                == .channels([ChannelResource(name: nil, userState: UserState(state: "NotReady"), dnd: true)]))
    }

    @Test("Unknown states are kept as strings")
    func unknownState() throws {
        let data = try json(
            #"{"messageType":"ChannelStateChangeMessageV2","channels":[{"channel":"chat","userState":{"state":"Busy"}}]}"#
        )
        #expect(
            GWSNotification.decode(channel: "/v2/me/channels", data: data)
                == .channels([ChannelResource(name: "chat", userState: UserState(state: "Busy"), dnd: nil)]))
    }

    @Test("Error payloads and unknown message types are reported, not fatal")
    func errorsAndUnknown() throws {
        let error = try json(#"{"errorMessage":"Invalid state","errorCode":"2","notificationType":"Error"}"#)
        #expect(
            GWSNotification.decode(channel: "/v2/me/devices", data: error)
                == .error(GWSErrorReport(message: "Invalid state", code: 2, messageType: nil)))
        let chat = try json(#"{"messageType":"ChatStateChangeMessage","chat":{"id":"1"}}"#)
        guard case .ignored(let reason) = GWSNotification.decode(channel: "/v2/me/chats", data: chat) else {
            Issue.record("a chat message must be ignored")
            return
        }
        #expect(reason.contains("ChatStateChangeMessage"))
        #expect(
            GWSNotification.decode(channel: "/v2/me/devices", data: .string("x"))
                == .ignored("data on /v2/me/devices is not an object"))
        #expect(
            GWSNotification.decode(channel: "/v2/me/devices", data: nil)
                == .ignored("data on /v2/me/devices is not an object"))
    }

    @Test(
        "Malformed members are skipped, not fatal",
        arguments: [
            #"{"messageType":"DeviceStateChangeMessage","devices":"nope"}"#,
            #"{"messageType":"DeviceStateChangeMessage","devices":[1,"x",null]}"#,
            #"{"messageType":"DeviceStateChangeMessage"}"#,
        ])
    func malformedMembers(text: String) throws {
        #expect(GWSNotification.decode(channel: "/v2/me/devices", data: try json(text)) == .devices([]))
    }

    @Test("Lenient values: DND as booleans or any case, ids as numbers, unreadable DND as unknown")
    func lenientValues() throws {
        let data = try json(
            #"{"messageType":"DeviceStateChangeMessage","devices":[{"id":42,"doNotDisturb":true},{"id":"b","doNotDisturb":"ON"},{"id":"c","doNotDisturb":"maybe"}]}"#
        )
        guard case .devices(let devices) = GWSNotification.decode(channel: "/v2/me/devices", data: data) else {
            Issue.record("expected devices")
            return
        }
        #expect(devices.map(\.id) == ["42", "b", "c"])
        #expect(devices.map(\.doNotDisturb) == [true, true, nil])
    }
}
