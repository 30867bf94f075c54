import BayeuxCore
import GWS
import JSON
import Testing

@testable import AgentState

/// Drives a ``AgentCoordinator`` with a fake clock and records its actions.
struct CoordinatorHarness {
    var coordinator: AgentCoordinator<ManualInstant>
    var now = ManualInstant(offset: .zero)
    var actions: [CoordinatorAction] = []
    var clock = 0

    init(settings: CoordinatorSettings = CoordinatorSettings(channels: ["/v2/me/devices", "/v2/me/channels"])) {
        coordinator = AgentCoordinator(username: "agent1", settings: settings, seed: 7)
    }

    var time: String { Timestamp.rfc3339(seconds: 1_795_557_600 + Int64(clock), nanoseconds: 0) }

    @discardableResult
    mutating func handle(_ event: CoordinatorEvent) -> [CoordinatorAction] {
        clock += 1
        let produced = coordinator.handle(event, now: now, time: time)
        actions += produced
        return produced
    }

    var model: AgentModel { coordinator.model }

    /// The token of the last snapshot request (a login or a resync).
    var lastFetchToken: UInt64? {
        actions.reversed().lazy.compactMap { action -> UInt64? in
            switch action {
            case .fetchSnapshot(let token), .logIn(let token, _): return token
            default: return nil
            }
        }.first
    }

    /// The token and node of the last login.
    var lastLogin: (token: UInt64, node: Int)? {
        actions.reversed().lazy.compactMap { if case .logIn(let token, let node) = $0 { (token, node) } else { nil } }
            .first
    }

    /// How many logins (fresh HTTP sessions) were asked for.
    var logins: Int { actions.filter { if case .logIn = $0 { true } else { false } }.count }

    var lastGeneration: Int? {
        actions.reversed().lazy.compactMap { if case .startBayeux(let g) = $0 { g } else { nil } }.first
    }

    var lastTimer: (UInt64, Duration)? {
        actions.reversed().lazy.compactMap { if case .startTimer(let id, let after) = $0 { (id, after) } else { nil } }
            .first
    }

    var logs: [CoordinatorLog] { actions.compactMap { if case .log(let l) = $0 { l } else { nil } } }

    /// The logs without the single devices' and channels' own entries.
    var agentLogs: [CoordinatorLog] { logs.filter { $0.metadata[MessageID.key] != MessageID.partChanged } }

    /// Moves the harness's monotonic clock forward.
    mutating func advance(by duration: Duration) { now = now.advanced(by: duration) }

    /// The token of the last password re-read.
    var lastPasswordToken: UInt64? {
        actions.reversed().lazy.compactMap { if case .rereadPassword(let token) = $0 { token } else { nil } }.first
    }

    /// Answers the last password re-read.
    @discardableResult
    mutating func answerPassword(_ check: PasswordCheck) throws -> [CoordinatorAction] {
        handle(.passwordReread(token: try #require(lastPasswordToken), check))
    }

    /// Answers the last snapshot request.
    @discardableResult
    mutating func answerSnapshot(_ outcome: SnapshotOutcome) throws -> [CoordinatorAction] {
        let token = try #require(lastFetchToken)
        return handle(.snapshotFetched(token: token, outcome))
    }

    @discardableResult
    mutating func bayeux(_ input: BayeuxInput) throws -> [CoordinatorAction] {
        handle(.bayeux(generation: try #require(lastGeneration), input))
    }

    /// Start, log in, handshake, subscribe both channels, connect, resync with `snapshot`.
    mutating func connect(with snapshot: UserSnapshot = snapshot(state: "NotReady")) throws {
        handle(.start)
        try answerSnapshot(.success(snapshot))
        try bayeux(.stateChanged(.handshaking))
        try bayeux(.handshook(clientID: "c1"))
        try bayeux(.stateChanged(.connected))
        try bayeux(.subscribed("/v2/me/devices"))
        try bayeux(.subscribed("/v2/me/channels"))
        try answerSnapshot(.success(snapshot))
    }

    /// The Bayeux session lost and made again as `clientID`: handshake, connect, both
    /// subscriptions, then the resync answered with `snapshot`.
    mutating func rehandshake(as clientID: String, resyncWith snapshot: UserSnapshot) throws {
        try bayeux(.stateChanged(.rehandshaking))
        try bayeux(.handshook(clientID: clientID))
        try bayeux(.stateChanged(.connected))
        try bayeux(.subscribed("/v2/me/devices"))
        try bayeux(.subscribed("/v2/me/channels"))
        try answerSnapshot(.success(snapshot))
    }
}

func snapshot(state: String, dnd: Bool = false) -> UserSnapshot {
    UserSnapshot(
        username: "agent1",
        devices: [DeviceResource(id: "d1", userState: UserState(state: state), doNotDisturb: dnd)],
        channels: [ChannelResource(name: "voice", userState: UserState(state: state), dnd: dnd)])
}

/// A delivery of device state `state` with DND `dnd`.
func deviceMessage(_ state: String, dnd: Bool = false) -> BayeuxMessage {
    BayeuxMessage(
        channel: "/v2/me/devices",
        [
            "data": [
                "messageType": "DeviceStateChangeMessage",
                "devices": [["id": "d1", "userState": ["state": .string(state)], "doNotDisturb": dnd ? "On" : "Off"]],
            ]
        ])
}

func channelMessage(_ state: String, dnd: Bool = false) -> BayeuxMessage {
    BayeuxMessage(
        channel: "/v2/me/channels",
        [
            "data": [
                "messageType": "ChannelStateChangeMessageV2",
                "channels": [
                    ["channel": "voice", "userState": ["state": .string(state)], "dndState": dnd ? "On" : "Off"]
                ],
            ]
        ])
}

/// A device and a channel message, both putting d1 and voice in `state` (with `reason`, `workMode`).
func bothMessages(_ state: String, reason: String? = nil, workMode: String? = nil) -> [BayeuxMessage] {
    var fields: JSONObject = ["state": .string(state)]
    if let reason { fields["reason"] = .string(reason) }
    if let workMode { fields["workMode"] = .string(workMode) }
    let userState = JSONValue.object(fields)
    return [
        BayeuxMessage(
            channel: "/v2/me/devices",
            [
                "data": [
                    "messageType": "DeviceStateChangeMessage",
                    "devices": [["id": "d1", "userState": userState, "doNotDisturb": "Off"]],
                ]
            ]),
        BayeuxMessage(
            channel: "/v2/me/channels",
            [
                "data": [
                    "messageType": "ChannelStateChangeMessageV2",
                    "channels": [["channel": "voice", "userState": userState, "dndState": "Off"]],
                ]
            ]),
    ]
}
