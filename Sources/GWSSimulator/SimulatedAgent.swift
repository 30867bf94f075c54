import JSON

/// A voice device of the simulated agent.
public struct SimulatedDevice: Sendable, Equatable {
    public var id: String
    public var phoneNumber: String
    public var state: AgentStateDefinition
    public var dnd: Bool

    /// The device resource, as REST replies and `DeviceStateChangeMessage` carry it.
    func resource(baseURL: String) -> JSONValue {
        [
            "id": .string(id), "deviceState": "Active", "userState": state.userState,
            "phoneNumber": .string(phoneNumber), "e164Number": .string(phoneNumber), "telephonyNetwork": "Private",
            "doNotDisturb": dnd ? "On" : "Off",
            "voiceEnvironmentUri": .string(baseURL + "/api/v2/voice-environments/370ef5e6-9e3c-4d91-9588-7f4dfe67e011"),
            "capabilities": ["ForwardCallsOn", dnd ? "DoNotDisturbOff" : "DoNotDisturbOn"], "channels": ["voice"],
        ]
    }
}

/// A media channel (voice, chat, email…) of the simulated agent.
public struct SimulatedChannel: Sendable, Equatable {
    public var name: String
    public var state: AgentStateDefinition
    public var dnd: Bool

    /// The channel entry, as REST replies and `ChannelStateChangeMessageV2` carry it.
    var resource: JSONValue {
        ["channel": .string(name), "dndState": dnd ? "On" : "Off", "userState": state.userState]
    }
}

/// Where an operation applies: `POST /api/v2/me`, `/me/channels/{name}` or `/me/devices/{id}`.
public enum OperationScope: Sendable, Equatable, CustomStringConvertible {
    case all
    case channel(String)
    case device(String)

    public var description: String {
        switch self {
        case .all: return "/api/v2/me"
        case .channel(let name): return "/api/v2/me/channels/\(name)"
        case .device(let id): return "/api/v2/me/devices/\(id)"
        }
    }
}

/// A notification the simulator publishes after a change: a Bayeux channel and its `data`.
public struct Notification: Sendable, Equatable {
    public var channel: String
    public var data: JSONValue
}

/// The result of an agent-state operation.
public enum OperationOutcome: Sendable, Equatable {
    /// Accepted; these notifications describe the new state.
    case accepted([Notification])
    /// Refused with a GWS `statusCode` (1 missing parameter, 2 invalid in this state, 6 not found).
    case rejected(statusCode: Int, message: String)
}

/// One agent as the simulator holds it: credentials, voice devices and media channels.
public struct SimulatedAgent: Sendable, Equatable {
    public var username: String
    public var password: String
    public var devices: [SimulatedDevice]
    public var channels: [SimulatedChannel]
    /// Live calls (released calls are forgotten).
    public var calls: [SimulatedCall] = []

    /// An agent logged in and Not Ready on one voice device and on voice, chat and email.
    public init(username: String, password: String, phoneNumber: String = "5001") {
        self.username = username
        self.password = password
        let deviceID =
            "74152ed8-858f-4a33-9e96-" + String(repeating: "0", count: max(0, 12 - phoneNumber.count)) + phoneNumber
        devices = [SimulatedDevice(id: deviceID, phoneNumber: phoneNumber, state: .notReady, dnd: false)]
        channels = ["voice", "chat", "email"].map { SimulatedChannel(name: $0, state: .notReady, dnd: false) }
    }

    /// The `user` object of `GET /api/v2/me`, with devices and channels when `subresources` is set.
    func userResource(baseURL: String, subresources: Bool) -> JSONValue {
        let id =
            "57c0012d87ce40e498b75214" + String(username.utf8.reduce(UInt32(0)) { $0 &* 31 &+ UInt32($1) }, radix: 16)
        var user: JSONObject = [
            "id": .string(id), "userName": .string(username), "firstName": "Sim", "lastName": .string(username),
            "roles": ["ROLE_AGENT"], "enabled": true, "uri": .string(baseURL + "/api/v2/users/" + id),
            "path": .string("/users/" + id),
        ]
        if subresources {
            user["devices"] = .array(devices.map { $0.resource(baseURL: baseURL) })
            user["channels"] = .array(channels.map(\.resource))
            user["channelStates"] = .array(channels.map(\.resource))
        }
        return .object(user)
    }

    /// Applies `operationName` to `scope`, as GWS would after a `POST`.
    public mutating func apply(_ operationName: String, scope: OperationScope, baseURL: String) -> OperationOutcome {
        var deviceIndices: [Int]
        var channelIndices: [Int]
        switch scope {
        case .all:
            deviceIndices = Array(devices.indices)
            channelIndices = Array(channels.indices)
        case .channel(let name):
            guard let index = channels.firstIndex(where: { $0.name == name }) else {
                return .rejected(statusCode: 6, message: "Channel '\(name)' not found")
            }
            channelIndices = [index]
            deviceIndices = name == "voice" ? Array(devices.indices) : []
        case .device(let id):
            guard let index = devices.firstIndex(where: { $0.id.lowercased() == id.lowercased() }) else {
                return .rejected(statusCode: 6, message: "Device '\(id)' not found")
            }
            deviceIndices = [index]
            channelIndices = channels.indices.filter { channels[$0].name == "voice" }
        }
        switch operationName {
        case "DoNotDisturbOn", "DoNotDisturbOff":
            let on = operationName == "DoNotDisturbOn"
            for i in deviceIndices { devices[i].dnd = on }
            for i in channelIndices { channels[i].dnd = on }
        case "EndContactCenterSession":
            // The agent is logged out everywhere (the simulator also ends the HTTP session).
            for i in deviceIndices { devices[i].state = .offline }
            for i in channelIndices { channels[i].state = .offline }
        case "StartContactCenterSession":
            for i in deviceIndices where devices[i].state.state == "LoggedOut" { devices[i].state = .notReady }
            for i in channelIndices where channels[i].state.state == "LoggedOut" { channels[i].state = .notReady }
        default:
            guard let definition = AgentStateDefinition.all.first(where: { $0.operationName == operationName }) else {
                return .rejected(statusCode: 2, message: "Operation '\(operationName)' is not valid")
            }
            let touchesOtherMedia = channelIndices.contains { channels[$0].name != "voice" }
            if definition.voiceOnly && (scope == .all || touchesOtherMedia) {
                return .rejected(statusCode: 2, message: "Operation '\(operationName)' is only valid on voice")
            }
            let loggedOut =
                deviceIndices.contains { devices[$0].state.state == "LoggedOut" }
                || channelIndices.contains { channels[$0].state.state == "LoggedOut" }
            if loggedOut && definition.state != "LoggedOut" {
                return .rejected(statusCode: 2, message: "Agent is logged out; start a contact center session first")
            }
            for i in deviceIndices { devices[i].state = definition }
            for i in channelIndices { channels[i].state = definition }
        }
        var notifications: [Notification] = []
        if !deviceIndices.isEmpty {
            notifications.append(
                Notification(
                    channel: "/v2/me/devices",
                    data: [
                        "messageType": "DeviceStateChangeMessage",
                        "devices": .array(deviceIndices.map { devices[$0].resource(baseURL: baseURL) }),
                    ]))
        }
        if !channelIndices.isEmpty {
            notifications.append(
                Notification(
                    channel: "/v2/me/channels",
                    data: [
                        "messageType": "ChannelStateChangeMessageV2",
                        "channels": .array(channelIndices.map { channels[$0].resource }),
                    ]))
        }
        return .accepted(notifications)
    }
}
