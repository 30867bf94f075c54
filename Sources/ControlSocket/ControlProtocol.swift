import JSON

/// The control socket's protocol, version 1: one JSON object per line each way
/// (`docs/control-socket.md`, `docs/control-socket.schema.json`).
///
/// A request is `{"v": 1, "id": …, "op": "…", …}`; `id` is optional, any JSON value, and
/// echoed in the reply. A reply is `{"v": 1, "id": …, "ok": true, …}` or
/// `{"v": 1, "id": …, "ok": false, "error": {"code": "…", "message": "…"}}`. A
/// subscription's later lines are `{"v": 1, "id": …, "event": "…", …}`.
public enum ControlProtocol {
    /// The protocol version this build speaks.
    public static let version = 1

    /// Reads one request line; a line that is not a request becomes an error naming why.
    public static func request(from line: some Collection<UInt8>) -> Result<ControlRequest, ControlError> {
        let value: JSONValue
        do { value = try JSONParser(maximumDepth: 8).parse(line) } catch {
            return .failure(ControlError(.badRequest, "not JSON: \(error)"))
        }
        guard case .object(var fields) = value else {
            return .failure(ControlError(.badRequest, "a request is a JSON object"))
        }
        let id = fields["id"]
        if let v = fields["v"], v != .int(Int64(version)) {
            return .failure(ControlError(.unsupportedVersion, "this daemon speaks version \(version)", id: id))
        }
        guard let op = fields["op"]?.stringValue, !op.isEmpty else {
            return .failure(ControlError(.badRequest, "\"op\" (a string) is required", id: id))
        }
        fields["v"] = nil
        fields["id"] = nil
        fields["op"] = nil
        return .success(ControlRequest(id: id, op: op, arguments: fields))
    }

    /// A successful reply to the request with `id`, with `members` beside `ok`.
    public static func reply(id: JSONValue?, _ members: JSONObject = [:]) -> [UInt8] {
        var object: JSONObject = ["v": .int(Int64(version))]
        if let id { object["id"] = id }
        object["ok"] = true
        for (key, value) in members { object[key] = value }
        return line(.object(object))
    }

    /// A failed reply.
    public static func reply(_ error: ControlError) -> [UInt8] {
        var object: JSONObject = ["v": .int(Int64(version))]
        if let id = error.id { object["id"] = id }
        object["ok"] = false
        object["error"] = ["code": .string(error.code.rawValue), "message": .string(error.message)]
        return line(.object(object))
    }

    /// A later line of a subscription: `{"v": 1, "id": …, "event": name, …}`.
    public static func event(id: JSONValue?, _ name: String, _ members: JSONObject = [:]) -> [UInt8] {
        var object: JSONObject = ["v": .int(Int64(version))]
        if let id { object["id"] = id }
        object["event"] = .string(name)
        for (key, value) in members { object[key] = value }
        return line(.object(object))
    }

    static func line(_ value: JSONValue) -> [UInt8] {
        var bytes = JSONWriter.bytes(value)
        bytes.append(0x0A)
        return bytes
    }
}

/// One request read from a client.
public struct ControlRequest: Sendable, Equatable {
    /// Echoed in the replies; any JSON value the client chose, or none.
    public var id: JSONValue?
    /// What is asked: `ping`, `reload`, …
    public var op: String
    /// Every other member of the request.
    public var arguments: JSONObject

    public init(id: JSONValue? = nil, op: String, arguments: JSONObject = [:]) {
        self.id = id
        self.op = op
        self.arguments = arguments
    }

    /// The request as a line, for clients.
    public var line: [UInt8] {
        var object: JSONObject = ["v": .int(Int64(ControlProtocol.version))]
        if let id { object["id"] = id }
        object["op"] = .string(op)
        for (key, value) in arguments { object[key] = value }
        return ControlProtocol.line(.object(object))
    }
}

/// A request the daemon could not carry out, with a stable code and a reason.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable error codes (docs/control-socket.md).
    public enum Code: String, Sendable, CaseIterable {
        /// Not JSON, not an object, a missing or wrong member.
        case badRequest = "bad_request"
        /// `v` names another protocol version.
        case unsupportedVersion = "unsupported_version"
        /// No such `op`.
        case unknownOperation = "unknown_operation"
        /// A line longer than the limit; the connection is closed after this reply.
        case lineTooLong = "line_too_long"
        /// Too many clients are connected; the connection is closed after this reply.
        case tooManyClients = "too_many_clients"
        /// The daemon cannot do it now (not connected to GWS, stopping).
        case unavailable
        /// GWS refused or failed the request.
        case rejected
        /// The configuration could not be reloaded.
        case reloadFailed = "reload_failed"
        /// Waiting for a confirmation took longer than asked.
        case timeout
        /// `agent` names no agent this daemon follows, or the daemon follows several and
        /// the request names none.
        case unknownAgent = "unknown_agent"
        /// `control.operator_groups` gives none of the caller's groups this agent (or the daemon).
        case forbidden
        /// Too many requests of this client, or for this agent, are in flight.
        case busy
        /// The client was dropped: it sent nothing, left a line unfinished, or did not read.
        case dropped
    }

    public var code: Code
    public var message: String
    /// The request's id, when it could be read.
    public var id: JSONValue?

    public init(_ code: Code, _ message: String, id: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.id = id
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
