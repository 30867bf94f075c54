import JSON

/// Why a state file could not be read.
public enum StateFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is empty.
    case empty
    /// The file is not JSON (for example, truncated).
    case notJSON(String)
    /// The file was written with a schema this reader does not know.
    case unsupportedSchema(Int?)
    /// A member is missing or has the wrong type.
    case invalid(path: String, expected: String)

    public var description: String {
        switch self {
        case .empty: return "the state file is empty"
        case .notJSON(let detail): return "the state file is not valid JSON (\(detail))"
        case .unsupportedSchema(let version?):
            return "the state file has schema \(version); this gws-agentd reads schema \(StateDocument.schemaVersion)"
        case .unsupportedSchema(nil): return "the state file has no schema version"
        case .invalid(let path, let expected): return "the state file's \(path) is missing or not \(expected)"
        }
    }
}

extension StateDocument {
    /// Reads a state file's bytes, checking the schema version and every member's type.
    public static func decode(_ bytes: some Collection<UInt8>) throws(StateFileError) -> StateDocument {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { throw .empty }
        let root: JSONValue
        do { root = try JSONParser(maximumDepth: 16).parse(bytes) } catch { throw .notJSON(error.description) }
        let top = Fields(root, path: "")
        let schema = root["schema"]?.intValue
        guard schema == Int64(schemaVersion) else { throw .unsupportedSchema(schema.map { Int($0) }) }
        let connection = try top.object("connection")
        let agent = try top.object("agent")
        let lastError = try connection.optionalObject("last_error")
        return StateDocument(
            generator: try top.string("generator"),
            pid: try top.int("pid"),
            invocationID: try top.optionalString("invocation_id"),
            heartbeatSeconds: try top.int("heartbeat_s"),
            seq: try top.int("seq"),
            changedAt: try top.string("changed_at"),
            connection: Connection(
                state: try connection.enumeration("state", ConnectionState.self),
                since: try connection.optionalString("since"),
                clientID: try connection.optionalString("client_id"),
                handshakes: try connection.int("handshakes"),
                lastError: try lastError.map { error throws(StateFileError) in
                    LastError(message: try error.string("message"), at: try error.string("at"))
                },
                server: try connection.optionalString("server")),
            agent: Agent(
                username: try agent.string("username"),
                state: try agent.string("state"),
                workMode: try agent.optionalString("work_mode"),
                reason: try agent.optionalString("reason"),
                dnd: try agent.optionalBool("dnd"),
                synced: try agent.bool("synced"),
                devices: try agent.objects("devices").map { d throws(StateFileError) in
                    Device(
                        id: try d.optionalString("id"), deviceState: try d.optionalString("device_state"),
                        state: try d.optionalString("state"), workMode: try d.optionalString("work_mode"),
                        reason: try d.optionalString("reason"), displayName: try d.optionalString("display_name"),
                        dnd: try d.optionalBool("dnd"), phoneNumber: try d.optionalString("phone_number"),
                        capabilities: try d.strings("capabilities"), since: try d.optionalString("since"))
                },
                channels: try agent.objects("channels").map { c throws(StateFileError) in
                    Channel(
                        name: try c.optionalString("name"), state: try c.optionalString("state"),
                        workMode: try c.optionalString("work_mode"), reason: try c.optionalString("reason"),
                        displayName: try c.optionalString("display_name"), dnd: try c.optionalBool("dnd"),
                        since: try c.optionalString("since"))
                },
                lastNotificationAt: try agent.optionalString("last_notification_at"),
                stateSince: try agent.optionalString("state_since"), dndSince: try agent.optionalString("dnd_since"),
                onCall: try agent.optionalBool("on_call"),
                calls: try agent.optionalObjects("calls")?.map { c throws(StateFileError) in
                    Call(
                        id: try c.string("id"), state: try c.optionalString("state"),
                        type: try c.optionalString("type"),
                        deviceID: try c.optionalString("device_id"), since: try c.optionalString("since"),
                        participants: try c.optionalStrings("participants"),
                        attachedData: try c.optionalObject("attached_data")?.value.objectValue)
                }))
    }
}

/// Typed, path-aware access to the members of one JSON object of the state file.
private struct Fields {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    private func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    private func member(_ key: String) -> JSONValue? {
        guard let member = value[key], member != .null else { return nil }
        return member
    }

    func string(_ key: String) throws(StateFileError) -> String {
        guard let s = member(key)?.stringValue else { throw .invalid(path: at(key), expected: "a string") }
        return s
    }

    func optionalString(_ key: String) throws(StateFileError) -> String? {
        guard let member = member(key) else { return nil }
        guard let s = member.stringValue else { throw .invalid(path: at(key), expected: "a string or null") }
        return s
    }

    func int(_ key: String) throws(StateFileError) -> Int {
        guard let i = member(key)?.intValue, let int = Int(exactly: i) else {
            throw .invalid(path: at(key), expected: "an integer")
        }
        return int
    }

    func bool(_ key: String) throws(StateFileError) -> Bool {
        guard let b = member(key)?.boolValue else { throw .invalid(path: at(key), expected: "a boolean") }
        return b
    }

    func optionalBool(_ key: String) throws(StateFileError) -> Bool? {
        guard let member = member(key) else { return nil }
        guard let b = member.boolValue else { throw .invalid(path: at(key), expected: "a boolean or null") }
        return b
    }

    func object(_ key: String) throws(StateFileError) -> Fields {
        guard let member = member(key), member.objectValue != nil else {
            throw .invalid(path: at(key), expected: "an object")
        }
        return Fields(member, path: at(key))
    }

    func optionalObject(_ key: String) throws(StateFileError) -> Fields? {
        guard let member = member(key) else { return nil }
        guard member.objectValue != nil else { throw .invalid(path: at(key), expected: "an object or null") }
        return Fields(member, path: at(key))
    }

    func objects(_ key: String) throws(StateFileError) -> [Fields] {
        guard let elements = member(key)?.arrayValue else { throw .invalid(path: at(key), expected: "an array") }
        var result: [Fields] = []
        for (index, element) in elements.enumerated() {
            guard element.objectValue != nil else {
                throw .invalid(path: "\(at(key))[\(index)]", expected: "an object")
            }
            result.append(Fields(element, path: "\(at(key))[\(index)]"))
        }
        return result
    }

    /// An array of objects, or `nil` when the member is absent or `null` (a member later
    /// versions of schema 1 added).
    func optionalObjects(_ key: String) throws(StateFileError) -> [Fields]? {
        guard member(key) != nil else { return nil }
        return try objects(key)
    }

    func optionalStrings(_ key: String) throws(StateFileError) -> [String]? {
        guard member(key) != nil else { return nil }
        return try strings(key)
    }

    func strings(_ key: String) throws(StateFileError) -> [String] {
        guard let elements = member(key)?.arrayValue else { throw .invalid(path: at(key), expected: "an array") }
        var result: [String] = []
        for element in elements {
            guard let s = element.stringValue else { throw .invalid(path: at(key), expected: "an array of strings") }
            result.append(s)
        }
        return result
    }

    func enumeration<E: RawRepresentable<String>>(_ key: String, _ type: E.Type) throws(StateFileError) -> E {
        guard let raw = member(key)?.stringValue, let value = E(rawValue: raw) else {
            throw .invalid(path: at(key), expected: "one of the documented values")
        }
        return value
    }
}
