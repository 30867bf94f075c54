import JSON

/// An agent-state operation to POST: its name and where it applies.
public struct AgentOperation: Sendable, Equatable {
    /// Where an operation applies.
    public enum Scope: Sendable, Equatable, CustomStringConvertible {
        /// Every channel and device: `POST /api/v2/me`.
        case all
        /// One media channel: `POST /api/v2/me/channels/{name}`.
        case channel(String)
        /// One voice device: `POST /api/v2/me/devices/{id}`.
        case device(String)

        public var description: String {
            switch self {
            case .all: return "all channels"
            case .channel(let name): return "channel \(name)"
            case .device(let id): return "device \(id)"
            }
        }
    }

    /// `Ready`, `NotReady`, `DoNotDisturbOn`, `DoNotDisturbOff`, `AfterCallWork`,
    /// `AuxWork`, or a custom operation configured in Genesys.
    public var name: String
    public var scope: Scope

    public init(name: String, scope: Scope = .all) {
        self.name = name
        self.scope = scope
    }

    /// The path under the server's base URL.
    public var path: String {
        switch scope {
        case .all: return "/api/v2/me"
        case .channel(let name): return "/api/v2/me/channels/" + Self.pathSegment(name)
        case .device(let id): return "/api/v2/me/devices/" + Self.pathSegment(id)
        }
    }

    /// The JSON body: `{"operationName": …}`.
    public var body: [UInt8] {
        JSONWriter.bytes(["operationName": .string(name)])
    }

    /// Percent-encodes everything but unreserved characters, so that a channel name or
    /// device id can never change the path.
    static func pathSegment(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

/// One entry of `GET /api/v2/settings/agent-states`: an operation the agent may use.
public struct AgentStateSetting: Sendable, Equatable {
    public var operationName: String
    public var state: String?
    public var workMode: String?
    public var reason: String?
    public var displayName: String?

    public init(
        operationName: String, state: String?, workMode: String? = nil, reason: String? = nil,
        displayName: String? = nil
    ) {
        self.operationName = operationName
        self.state = state
        self.workMode = workMode
        self.reason = reason
        self.displayName = displayName
    }

    /// Decodes the reply; entries without an operation name are skipped.
    public static func decodeList(_ body: some Collection<UInt8>) throws(GWSReplyError) -> [AgentStateSetting] {
        let object = try GWSReply.object(from: body)
        try GWSReply.checkStatus(object)
        guard let settings = object["settings"]?.arrayValue else { throw .unexpectedShape("no settings array") }
        return settings.compactMap { entry in
            guard let name = entry["operationName"]?.lenientString else { return nil }
            let userState = UserState(json: entry) ?? UserState(state: nil)
            return AgentStateSetting(
                operationName: name, state: userState.state, workMode: userState.workMode, reason: userState.reason,
                displayName: userState.displayName)
        }
    }
}
