import JSON

/// A GWS notification that matters for the agent's state, decoded from one Bayeux
/// delivery. Decoding never fails: what cannot be used becomes ``error(_:)`` or
/// ``ignored(_:)``, which callers log.
public enum GWSNotification: Sendable, Equatable {
    /// `DeviceStateChangeMessage`: full device resources, replacing what is cached for them.
    case devices([DeviceResource])
    /// `ChannelStateChangeMessageV2` (or its pre-release form without `messageType`):
    /// the listed channels only.
    case channels([ChannelResource])
    /// `CallStateChangeMessage`: one call as it now is.
    case call(CallNotification)
    /// An error report (`errorMessage`, `errorCode` or `notificationType: Error`).
    case error(GWSErrorReport)
    /// Anything else: another message type, or data that is not an object.
    case ignored(String)

    /// The topic of device notifications.
    public static let devicesTopic = "/v2/me/devices"
    /// The topic of channel notifications.
    public static let channelsTopic = "/v2/me/channels"
    /// The topic of call notifications.
    public static let callsTopic = "/v2/me/calls"

    /// Decodes the `data` of a delivery on `channel`.
    ///
    /// Dispatch is on `data.messageType` first; without one, the topic and the shape
    /// decide (the 8.5.0 samples of channel messages have no `messageType`).
    public static func decode(channel: String, data: JSONValue?) -> GWSNotification {
        guard let object = data?.objectValue else { return .ignored("data on \(channel) is not an object") }
        let messageType = object["messageType"]?.lenientString
        switch messageType {
        case "DeviceStateChangeMessage"?:
            return .devices(object["devices"]?.arrayValue?.compactMap(DeviceResource.init(json:)) ?? [])
        case "ChannelStateChangeMessageV2"?:
            return .channels(object["channels"]?.arrayValue?.compactMap(ChannelResource.init(json:)) ?? [])
        case "CallStateChangeMessage"?:
            // An `Error` notification about a call still carries the call as it now is.
            return call(in: object) ?? .ignored("CallStateChangeMessage without a call id on \(channel)")
        default:
            break
        }
        if let report = GWSErrorReport(object: object) { return .error(report) }
        if messageType == nil {
            if channel == callsTopic, let call = call(in: object) { return call }
            if channel == channelsTopic, let channels = object["channels"]?.arrayValue {
                return .channels(channels.compactMap(ChannelResource.init(json:)))
            }
            if channel == devicesTopic, let devices = object["devices"]?.arrayValue {
                return .devices(devices.compactMap(DeviceResource.init(json:)))
            }
        }
        return .ignored("message type \(messageType ?? "(none)") on \(channel)")
    }

    /// The `call` member of a call message, when it is a call with an id.
    private static func call(in object: JSONObject) -> GWSNotification? {
        guard let call = object["call"].flatMap(CallResource.init(json:)) else { return nil }
        return .call(CallNotification(kind: object["notificationType"]?.lenientString, call: call))
    }
}

/// An error GWS reported through a notification.
public struct GWSErrorReport: Sendable, Equatable, CustomStringConvertible {
    public var message: String?
    public var code: Int?
    public var messageType: String?

    public init(message: String?, code: Int?, messageType: String?) {
        self.message = message
        self.code = code
        self.messageType = messageType
    }

    /// Reads an error report; `nil` when the object carries no error marker.
    init?(object: JSONObject) {
        let message = object["errorMessage"]?.lenientString
        let code = object["errorCode"]?.lenientInt
        let isError = object["notificationType"]?.lenientString == "Error"
        guard message != nil || code != nil || isError else { return nil }
        self.init(message: message, code: code, messageType: object["messageType"]?.lenientString)
    }

    public var description: String {
        var parts: [String] = []
        if let messageType { parts.append(messageType) }
        if let code { parts.append("code \(code)") }
        parts.append(message ?? "no message")
        return parts.joined(separator: ", ")
    }
}
