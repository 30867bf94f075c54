import JSON

/// One agent state GWS knows: what an operation sets and how the state is reported.
public struct AgentStateDefinition: Sendable, Equatable {
    /// The operation name that selects this state (`Ready`, `AuxWork`, `OutToLunch`…).
    public var operationName: String
    /// The state definition's GUID, as GWS reports it in `userState.id`.
    public var id: String
    public var displayName: String
    /// `Ready`, `NotReady`, `LoggedOut` or `LoggedIn`.
    public var state: String
    public var workMode: String?
    public var reason: String?
    /// Whether the operation exists only on the voice channel and voice devices.
    public var voiceOnly: Bool

    // The system-defined states (ids as every GWS documentation sample prints them).
    public static let ready = AgentStateDefinition(
        operationName: "Ready", id: "9430250E-0A1B-421F-B372-F29E69366DED", displayName: "Ready", state: "Ready")
    public static let notReady = AgentStateDefinition(
        operationName: "NotReady", id: "900D55CC-2BB0-431F-8BF9-D3525B383BE6", displayName: "Not Ready",
        state: "NotReady")
    public static let afterCallWork = AgentStateDefinition(
        operationName: "AfterCallWork", id: "D3663509-3D82-4DD3-A82E-2EA8EFA02AEF", displayName: "AfterCallWork",
        state: "NotReady", workMode: "AfterCallWork", voiceOnly: true)
    public static let auxWork = AgentStateDefinition(
        operationName: "AuxWork", id: "2B36138D-C564-4562-A8CB-3C32D564F296", displayName: "AuxWork",
        state: "NotReady", workMode: "AuxWork", voiceOnly: true)
    public static let offline = AgentStateDefinition(
        operationName: "Offline", id: "0F7F5003-EF26-4D13-A6EF-D0C7EC819BEB", displayName: "Offline",
        state: "LoggedOut", voiceOnly: true)
    /// A custom state of the kind configured in Genesys (a Not Ready reason).
    public static let outToLunch = AgentStateDefinition(
        operationName: "OutToLunch", id: "5E1A8A3C-6F0B-4B38-9C1D-0B7B2D7C4A11", displayName: "Out to Lunch",
        state: "NotReady", workMode: "AuxWork", reason: "Lunch")

    /// Every state an operation can select, in the order `GET /api/v2/settings/agent-states` lists them.
    public static let all: [AgentStateDefinition] = [ready, notReady, afterCallWork, auxWork, offline, outToLunch]

    public init(
        operationName: String, id: String, displayName: String, state: String, workMode: String? = nil,
        reason: String? = nil, voiceOnly: Bool = false
    ) {
        self.operationName = operationName
        self.id = id
        self.displayName = displayName
        self.state = state
        self.workMode = workMode
        self.reason = reason
        self.voiceOnly = voiceOnly
    }

    /// The `userState` object of a device or channel in this state.
    var userState: JSONValue {
        var object: JSONObject = ["id": .string(id), "displayName": .string(displayName), "state": .string(state)]
        if let workMode { object["workMode"] = .string(workMode) }
        if let reason { object["reason"] = .string(reason) }
        return .object(object)
    }

    /// The entry of this state in `GET /api/v2/settings/agent-states`.
    var settingsEntry: JSONValue {
        var object = userState.objectValue ?? [:]
        object["operationName"] = .string(operationName)
        return .object(object)
    }
}
