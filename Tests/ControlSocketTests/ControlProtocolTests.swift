import ControlSocket
import JSON
import Testing

@Suite("The control protocol's lines")
struct ControlProtocolTests {
    @Test("A request line: op, id and arguments; what is not a request says why")
    func requests() throws {
        let request = try ControlProtocol.request(from: Array(#"{"v":1,"id":7,"op":"set","operation":"Ready"}"#.utf8))
            .get()
        #expect(request == ControlRequest(id: 7, op: "set", arguments: ["operation": "Ready"]))
        func code(_ line: String) -> ControlError.Code? {
            if case .failure(let error) = ControlProtocol.request(from: Array(line.utf8)) { return error.code }
            return nil
        }
        #expect(code("not json") == .badRequest)
        #expect(code("[1]") == .badRequest)
        #expect(code(#"{"id":1}"#) == .badRequest)
        #expect(code(#"{"v":2,"op":"ping"}"#) == .unsupportedVersion)
        #expect(code(String(repeating: "[", count: 20) + String(repeating: "]", count: 20)) == .badRequest)
    }

    @Test("Replies and events are one JSON object per line, with the request's id")
    func replies() throws {
        let ok = ControlProtocol.reply(id: "x", ["pong": true])
        #expect(ok.last == 0x0A)
        #expect(try JSONParser().parse(ok.dropLast()) == ["v": 1, "id": "x", "ok": true, "pong": true])
        let failed = ControlProtocol.reply(ControlError(.unknownAgent, "no such agent", id: 3))
        let value = try JSONParser().parse(failed.dropLast())
        #expect(value["ok"] == false)
        #expect(value["error"]?["code"] == "unknown_agent")
        let event = ControlProtocol.event(id: 1, "state", ["seq": 4])
        #expect(try JSONParser().parse(event.dropLast())["event"] == "state")
    }
}
