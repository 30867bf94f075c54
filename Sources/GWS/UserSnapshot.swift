import JSON

/// What `GET /api/v2/me?subresources=*` says about the agent: the initial picture, and
/// the one re-read after every (re)handshake.
public struct UserSnapshot: Sendable, Equatable {
    public var username: String?
    public var devices: [DeviceResource]
    public var channels: [ChannelResource]
    /// The agent's calls from `GET /api/v2/me/calls?fields=*`, read after the user
    /// resource; `nil` when calls are not followed or could not be read.
    public var calls: [CallResource]?
    /// Why the calls could not be read, when they were wanted (one line, no secrets).
    public var callsProblem: String?

    public init(
        username: String?, devices: [DeviceResource], channels: [ChannelResource], calls: [CallResource]? = nil,
        callsProblem: String? = nil
    ) {
        self.username = username
        self.devices = devices
        self.channels = channels
        self.calls = calls
        self.callsProblem = callsProblem
    }
}

/// Why a REST reply could not be used.
public enum GWSReplyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is not JSON (an HTML error page, an empty body, a truncated reply).
    case notJSON(String)
    /// JSON, but not the expected shape.
    case unexpectedShape(String)
    /// GWS answered with a non-zero `statusCode` (or `status: error`).
    case status(code: Int?, message: String?)

    public var description: String {
        switch self {
        case .notJSON(let detail): return "reply is not JSON (\(detail))"
        case .unexpectedShape(let detail): return "unexpected reply: \(detail)"
        case .status(let code, let message):
            let meaning = code.flatMap(GWSStatusCode.meaning(of:))
            var text = "GWS error"
            if let code { text += " \(code)" }
            if let meaning { text += " (\(meaning))" }
            if let message { text += ": \(message)" }
            return text
        }
    }
}

extension UserSnapshot {
    /// Decodes the reply of `GET /api/v2/me?subresources=*`.
    ///
    /// A missing `statusCode` is accepted when a `user` object is present; channels
    /// come from `channels`, or from `channelStates` when only that is given.
    public static func decode(_ body: some Collection<UInt8>) throws(GWSReplyError) -> UserSnapshot {
        let object = try GWSReply.object(from: body)
        try GWSReply.checkStatus(object)
        guard let user = object["user"]?.objectValue else {
            throw .unexpectedShape("no user object")
        }
        let channels = user["channels"]?.arrayValue ?? user["channelStates"]?.arrayValue ?? []
        return UserSnapshot(
            username: user["userName"]?.lenientString,
            devices: user["devices"]?.arrayValue?.compactMap(DeviceResource.init(json:)) ?? [],
            channels: channels.compactMap(ChannelResource.init(json:)))
    }
}

/// Shared reading of GWS REST replies.
enum GWSReply {
    /// Parses `body` as a JSON object.
    static func object(from body: some Collection<UInt8>) throws(GWSReplyError) -> JSONObject {
        if body.isEmpty { throw .notJSON("empty body") }
        let value: JSONValue
        do { value = try JSONParser().parse(body) } catch { throw .notJSON(error.description) }
        guard let object = value.objectValue else { throw .unexpectedShape("not a JSON object") }
        return object
    }

    /// Throws when the reply reports an error in either format.
    static func checkStatus(_ object: JSONObject) throws(GWSReplyError) {
        if let code = object["statusCode"] {
            guard let number = code.lenientInt else { throw .unexpectedShape("statusCode is not a number") }
            if number != 0 && number != 7 {
                throw .status(code: number, message: object["statusMessage"]?.lenientString)
            }
        } else if let status = object["status"]?.lenientString, status.lowercased() != "ok" {
            throw .status(code: nil, message: object["errorDescription"]?.lenientString)
        }
    }
}
