import AgentState
import GWS
import Testing

/// A document with every kind of member set.
func sampleDocument(seq: Int = 17) -> StateDocument {
    var cache = AgentCache()
    cache.replace(
        with: UserSnapshot(
            username: "agent1",
            devices: [
                DeviceResource(
                    id: "d1", userState: UserState(state: "Ready", displayName: "Ready"), doNotDisturb: false,
                    phoneNumber: "5001", capabilities: ["DoNotDisturbOn"])
            ],
            channels: [
                ChannelResource(name: "voice", userState: UserState(state: "Ready", displayName: "Ready"), dnd: false)
            ]))
    return StateDocument(
        generator: "gws-agentd 0.1.0", pid: 123, invocationID: nil, heartbeatSeconds: 10, seq: seq,
        changedAt: "2026-11-24T22:00:00.123Z",
        connection: .init(
            state: .connected, since: "2026-11-24T21:59:00.000Z", clientID: "abc", handshakes: 2,
            lastError: .init(message: "connection refused", at: "2026-11-24T21:58:00.000Z")),
        agent: .init(username: "agent1", cache: cache, synced: true, lastNotificationAt: "2026-11-24T22:00:00.100Z"))
}

@Suite("State document")
struct StateDocumentTests {
    @Test("Encoding follows the documented schema and decodes back to the same document")
    func roundTrip() throws {
        let document = sampleDocument()
        let bytes = document.encoded()
        #expect(bytes.last == 0x0A)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(
            text.hasPrefix(
                #"{"schema":1,"generator":"gws-agentd 0.1.0","pid":123,"invocation_id":null,"heartbeat_s":10,"seq":17,"#
            ))
        #expect(text.contains(#""connection":{"state":"connected","connected":true,"#))
        #expect(
            text.contains(
                #""agent":{"username":"agent1","state":"Ready","work_mode":null,"reason":null,"dnd":false,"synced":true,"#
            ))
        #expect(text.contains(#""devices":[{"id":"d1","device_state":"Active","state":"Ready","#))
        #expect(try StateDocument.decode(bytes) == document)
    }

    @Test("Content comparison ignores seq and changed_at only")
    func sameContent() {
        var other = sampleDocument(seq: 18)
        other.changedAt = "2030-01-01T00:00:00.000Z"
        #expect(sampleDocument().hasSameContent(as: other))
        other.agent.dnd = true
        #expect(!sampleDocument().hasSameContent(as: other))
    }

    @Test("Empty, truncated, and wrong-schema files are refused with a reason")
    func badFiles() {
        let full = sampleDocument().encoded()
        #expect(throws: StateFileError.empty) { try StateDocument.decode([UInt8]()) }
        #expect(throws: StateFileError.empty) { try StateDocument.decode(Array(" \n".utf8)) }
        #expect(throws: StateFileError.self) { try StateDocument.decode(full.prefix(full.count / 2)) }
        #expect(throws: StateFileError.unsupportedSchema(2)) {
            try StateDocument.decode(
                Array(String(decoding: full, as: UTF8.self).replacingFirst(#""schema":1"#, with: #""schema":2"#).utf8))
        }
        #expect(throws: StateFileError.unsupportedSchema(nil)) { try StateDocument.decode(Array("{}".utf8)) }
        #expect(throws: StateFileError.invalid(path: "agent.synced", expected: "a boolean")) {
            try StateDocument.decode(
                Array(
                    String(decoding: full, as: UTF8.self).replacingFirst(#""synced":true"#, with: #""synced":"yes""#)
                        .utf8))
        }
        #expect(throws: StateFileError.invalid(path: "connection.state", expected: "one of the documented values")) {
            try StateDocument.decode(
                Array(
                    String(decoding: full, as: UTF8.self).replacingFirst(
                        #""state":"connected""#, with: #""state":"asleep""#
                    ).utf8))
        }
    }
}

extension String {
    /// The string with the first occurrence of `target` replaced (the tests avoid Foundation).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        let chars = Array(self)
        let needle = Array(target)
        guard needle.count <= chars.count else { return self }
        for start in 0...(chars.count - needle.count) where Array(chars[start..<(start + needle.count)]) == needle {
            return String(chars[..<start]) + replacement + String(chars[(start + needle.count)...])
        }
        return self
    }
}

/// `connection.last_error` may hold server text: it is one safe line, whatever the source.
@Suite("last_error is one safe line")
struct LastErrorTests {
    @Test("Control characters escaped, length capped, and a round trip through the file keeps it")
    func sanitized() throws {
        let hostile = "HTTP 500: \u{1b}]0;owned\u{7}\nFAKE LOG LINE" + String(repeating: "x", count: 1000)
        let error = StateDocument.LastError(message: hostile, at: "2026-12-02T10:00:00.000Z")
        #expect(!error.message.contains("\n") && !error.message.contains("\u{1b}"))
        #expect(error.message.hasPrefix("HTTP 500: \\u{1b}]0;owned\\u{7}\\u{a}FAKE LOG LINE"))
        #expect(error.message.count <= StateDocument.LastError.maximumLength + 1)
        #expect(StateDocument.LastError(message: error.message, at: error.at) == error)
    }
}
