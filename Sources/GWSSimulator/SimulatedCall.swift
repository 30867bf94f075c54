import JSON

/// One voice call of a simulated agent, in the states GWS gives calls.
public struct SimulatedCall: Sendable, Equatable {
    /// The call states, as GWS names them.
    public enum State: String, Sendable, CaseIterable {
        case dialing = "Dialing"
        case ringing = "Ringing"
        case established = "Established"
        case held = "Held"
        case released = "Released"
    }

    public var id: String
    public var state: State
    /// `Inbound`, `Outbound` or `Internal`.
    public var callType: String
    public var deviceID: String
    /// The other party's number.
    public var otherParty: String
    /// Attached data (`userData`).
    public var userData: JSONObject
    /// The agent's number (the message's `phoneNumber`).
    public var phoneNumber: String

    /// The call resource, as `GET /api/v2/me/calls?fields=*` and `CallStateChangeMessage` carry it.
    func resource(baseURL: String) -> JSONValue {
        [
            "id": .string(id), "state": .string(state.rawValue), "callUuid": .string("SIM" + id.uppercased()),
            "deviceUri": .string(baseURL + "/api/v2/devices/" + deviceID),
            "uri": .string(baseURL + "/api/v2/me/calls/" + id), "path": .string("/calls/" + id),
            "participants": [.string(otherParty)],
            "participantsInfo": [
                [
                    "digits": .string(otherParty), "e164Number": .string(otherParty),
                    "formattedPhoneNumber": .string(otherParty),
                ]
            ],
            "dnis": .string(phoneNumber), "callType": .string(callType), "capabilities": .array(capabilities),
            "userData": .object(userData), "mute": "Off",
        ]
    }

    /// What GWS would let the agent do with the call in its state.
    var capabilities: [JSONValue] {
        switch state {
        case .dialing: ["Hangup"]
        case .ringing: ["Answer", "Hangup"]
        case .established: ["Hold", "Hangup", "AttachUserData", "UpdateUserData", "SendDtmf"]
        case .held: ["Retrieve", "Hangup"]
        case .released: []
        }
    }

    /// The notification of a change: `notificationType` is `StatusChange`,
    /// `ParticipantsUpdated` or `AttachedDataChanged`.
    func notification(_ kind: String, baseURL: String) -> Notification {
        Notification(
            channel: "/v2/me/calls",
            data: [
                "messageType": "CallStateChangeMessage", "notificationType": .string(kind),
                "call": resource(baseURL: baseURL), "phoneNumber": .string(phoneNumber),
            ])
    }

    /// The state `operation` (`Answer`, `Hold`, `Retrieve`, `Hangup`) moves the call to,
    /// or `nil` when GWS refuses it in the call's state.
    static func transition(_ operation: String, from state: State) -> State? {
        switch (operation, state) {
        case ("Answer", .ringing): .established
        case ("Hold", .established): .held
        case ("Retrieve", .held): .established
        case ("Hangup", .dialing), ("Hangup", .ringing), ("Hangup", .established), ("Hangup", .held): .released
        default: nil
        }
    }
}

extension SimulatedAgent {
    /// Starts a call on the agent's first device: an inbound call rings, an outbound one
    /// dials. Returns the notification, or `nil` when the agent has no device.
    public mutating func startCall(
        id: String, inbound: Bool, otherParty: String, userData: JSONObject, baseURL: String
    ) -> Notification? {
        guard let device = devices.first else { return nil }
        let call = SimulatedCall(
            id: id, state: inbound ? .ringing : .dialing, callType: inbound ? "Inbound" : "Outbound",
            deviceID: device.id, otherParty: otherParty, userData: userData, phoneNumber: device.phoneNumber)
        calls.append(call)
        return call.notification("StatusChange", baseURL: baseURL)
    }

    /// Applies a call operation (`Answer`, `Hold`, `Retrieve`, `Hangup`, or `Establish` for
    /// the far end answering a dialed call), as GWS would after a `POST /api/v2/me/calls/{id}`.
    /// A released call is forgotten once its notification is made.
    public mutating func operateCall(id: String, operation: String, baseURL: String) -> OperationOutcome {
        guard let index = calls.firstIndex(where: { $0.id == id }) else {
            return .rejected(statusCode: 6, message: "Call '\(id)' not found")
        }
        let target: SimulatedCall.State?
        if operation == "Establish" {
            target = calls[index].state == .dialing ? .established : nil
        } else {
            target = SimulatedCall.transition(operation, from: calls[index].state)
        }
        guard let target else {
            return .rejected(
                statusCode: 2,
                message: "Operation '\(operation)' is not valid for a \(calls[index].state.rawValue) call")
        }
        calls[index].state = target
        let notification = calls[index].notification("StatusChange", baseURL: baseURL)
        if target == .released { calls.remove(at: index) }
        return .accepted([notification])
    }

    /// Replaces a live call's attached data; `AttachedDataChanged`.
    public mutating func attachData(id: String, userData: JSONObject, baseURL: String) -> OperationOutcome {
        guard let index = calls.firstIndex(where: { $0.id == id }) else {
            return .rejected(statusCode: 6, message: "Call '\(id)' not found")
        }
        calls[index].userData = userData
        return .accepted([calls[index].notification("AttachedDataChanged", baseURL: baseURL)])
    }
}
