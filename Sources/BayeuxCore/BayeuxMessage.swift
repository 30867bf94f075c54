import JSON

/// One Bayeux message: a JSON object with exactly one `channel`.
///
/// The message keeps every member it was given, so extensions and the application can
/// read fields the core does not know; the accessors below cover the fields the
/// protocol defines (Bayeux 1.0, §3 of the spec).
public struct BayeuxMessage: Sendable, Hashable {
    /// All members of the message object.
    public var fields: JSONObject

    public init(fields: JSONObject) {
        self.fields = fields
    }

    /// A message on `channel` with the given extra members.
    public init(channel: String, _ members: JSONObject = [:]) {
        var fields: JSONObject = ["channel": .string(channel)]
        for (key, value) in members where key != "channel" { fields[key] = value }
        self.fields = fields
    }

    /// The channel the message is sent to (requests) or comes from (replies, deliveries).
    public var channel: String {
        get { fields["channel"]?.stringValue ?? "" }
        set { fields["channel"] = .string(newValue) }
    }

    /// The request id echoed by replies; servers may send it as a number.
    public var id: String? {
        get {
            switch fields["id"] {
            case .string(let s): return s
            case .int(let i): return String(i)
            default: return nil
            }
        }
        set { fields["id"] = newValue.map(JSONValue.string) }
    }

    /// The session id the server assigned on handshake.
    public var clientId: String? {
        get { fields["clientId"]?.stringValue }
        set { fields["clientId"] = newValue.map(JSONValue.string) }
    }

    /// Whether a reply reports success; `nil` on deliveries.
    public var successful: Bool? { fields["successful"]?.boolValue }

    /// The raw `error` string of an unsuccessful reply.
    public var error: String? { fields["error"]?.stringValue }

    /// The `advice` object, when present.
    public var advice: JSONValue? { fields["advice"] }

    /// The `ext` object, when present.
    public var ext: JSONObject? {
        get { fields["ext"]?.objectValue }
        set { fields["ext"] = newValue.map(JSONValue.object) }
    }

    /// The application payload of a delivery or publish.
    public var data: JSONValue? { fields["data"] }

    /// The subscription of a `/meta/subscribe` or `/meta/unsubscribe` message, which the
    /// spec allows to be a single channel or an array of them.
    public var subscriptions: [String] {
        switch fields["subscription"] {
        case .string(let s): return [s]
        case .array(let a): return a.compactMap(\.stringValue)
        default: return []
        }
    }

    /// Whether this is a message on a `/meta/` channel.
    public var isMeta: Bool { channel.hasPrefix("/meta/") }

    /// The message as a JSON object.
    public var json: JSONValue { .object(fields) }

    /// Sets `ext[name] = value`, creating `ext` when needed.
    public mutating func setExt(_ name: String, _ value: JSONValue) {
        var ext = self.ext ?? [:]
        ext[name] = value
        self.ext = ext
    }
}

/// Why an HTTP body could not be read as a Bayeux response.
public enum BayeuxDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is empty (a 200 with no content is a failure, as in CometD).
    case emptyBody
    /// The body is not JSON.
    case notJSON(JSONParseError)
    /// The body is JSON but not a message or an array of messages.
    case notMessages

    public var description: String {
        switch self {
        case .emptyBody: return "empty response body"
        case .notJSON(let e): return "response is not JSON: \(e)"
        case .notMessages: return "response is not an array of Bayeux messages"
        }
    }
}

/// Reads and writes HTTP bodies that carry Bayeux messages.
public enum BayeuxCodec {
    /// Decodes a response body: an array of message objects, or (leniently) a bare object.
    /// Elements that are not objects or have no channel are dropped, not fatal.
    public static func decode(
        _ body: some Collection<UInt8>, parser: JSONParser = JSONParser()
    )
        throws(BayeuxDecodingError) -> [BayeuxMessage]
    {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw .emptyBody }
        let value: JSONValue
        do { value = try parser.parse(body) } catch { throw .notJSON(error) }
        switch value {
        case .array(let elements):
            return elements.compactMap { element in
                guard case .object(let fields) = element, fields["channel"]?.stringValue != nil else { return nil }
                return BayeuxMessage(fields: fields)
            }
        case .object(let fields) where fields["channel"]?.stringValue != nil:
            return [BayeuxMessage(fields: fields)]
        default:
            throw .notMessages
        }
    }

    /// Encodes a batch of messages as the JSON array body of one request.
    public static func encode(_ messages: [BayeuxMessage]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 * messages.count)
        out.append(UInt8(ascii: "["))
        for (n, message) in messages.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.write(message.json, into: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
