import JSON

extension StateDocument {
    /// The document as the state file holds it: compact JSON, members in schema order,
    /// followed by a newline.
    ///
    /// - Parameter capacity: the bytes to make room for at once; the size of the last
    ///   document written is a good guess (the default fits the documented example).
    public func encoded(reservingCapacity capacity: Int = 2048) -> [UInt8] {
        var bytes = JSONWriter.bytes(json, reservingCapacity: capacity)
        bytes.append(0x0A)
        return bytes
    }

    /// The document as a JSON value.
    public var json: JSONValue {
        [
            "schema": .int(Int64(Self.schemaVersion)),
            "generator": .string(generator),
            "pid": .int(Int64(pid)),
            "invocation_id": invocationID.json,
            "heartbeat_s": .int(Int64(heartbeatSeconds)),
            "seq": .int(Int64(seq)),
            "changed_at": .string(changedAt),
            "connection": connection.json,
            "agent": agent.json,
        ]
    }
}

extension StateDocument.Connection {
    var json: JSONValue {
        [
            "state": .string(state.rawValue),
            "connected": .bool(connected),
            "since": since.json,
            "client_id": clientID.json,
            "handshakes": .int(Int64(handshakes)),
            "last_error": lastError.map { ["message": .string($0.message), "at": .string($0.at)] } ?? .null,
            "server": server.json,
        ]
    }
}

extension StateDocument.Agent {
    var json: JSONValue {
        [
            "username": .string(username),
            "state": .string(state),
            "work_mode": workMode.json,
            "reason": reason.json,
            "dnd": dnd.map(JSONValue.bool) ?? .null,
            "synced": .bool(synced),
            "devices": .array(devices.map(\.json)),
            "channels": .array(channels.map(\.json)),
            "last_notification_at": lastNotificationAt.json,
            "state_since": stateSince.json,
            "dnd_since": dndSince.json,
            "on_call": onCall.map(JSONValue.bool) ?? .null,
            "calls": calls.map { .array($0.map(\.json)) } ?? .null,
        ]
    }
}

extension StateDocument.Call {
    var json: JSONValue {
        [
            "id": .string(id),
            "state": state.json,
            "type": type.json,
            "device_id": deviceID.json,
            "since": since.json,
            "participants": participants.map { .array($0.map(JSONValue.string)) } ?? .null,
            "attached_data": attachedData.map(JSONValue.object) ?? .null,
        ]
    }
}

extension StateDocument.Device {
    var json: JSONValue {
        [
            "id": id.json,
            "device_state": deviceState.json,
            "state": state.json,
            "work_mode": workMode.json,
            "reason": reason.json,
            "display_name": displayName.json,
            "dnd": dnd.map(JSONValue.bool) ?? .null,
            "phone_number": phoneNumber.json,
            "capabilities": .array(capabilities.map(JSONValue.string)),
            "since": since.json,
        ]
    }
}

extension StateDocument.Channel {
    var json: JSONValue {
        [
            "name": name.json,
            "state": state.json,
            "work_mode": workMode.json,
            "reason": reason.json,
            "display_name": displayName.json,
            "dnd": dnd.map(JSONValue.bool) ?? .null,
            "since": since.json,
        ]
    }
}

extension String? {
    /// The string, or JSON `null`.
    var json: JSONValue { map(JSONValue.string) ?? .null }
}
