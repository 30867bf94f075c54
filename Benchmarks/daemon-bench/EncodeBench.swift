import AgentState
import Foundation

/// `daemon-bench encode`: the state-file writer's encoding alone, in this process: the
/// documented example document (one device, two channels, one call) encoded `rounds`
/// times. The same work runs for every state-file write, and for 10,000 final writes at a
/// stop; under `valgrind --tool=callgrind` it compares two builds by instructions.
struct EncodeBench {
    var rounds = 200_000

    /// The example of docs/state-file.md.
    static let sample = """
        {"schema":1,"generator":"gws-agentd 0.2.0","pid":8159,"invocation_id":"4f0c8a2b9e3d4c1fa0b7e6d5c4b3a291",\
        "heartbeat_s":10,"seq":5,"changed_at":"2026-12-01T21:26:33.373Z",\
        "connection":{"state":"connected","connected":true,"since":"2026-12-01T21:26:31.203Z",\
        "client_id":"gmuivs19u5e8bcdil0v49hxhhz","handshakes":1,"last_error":null,\
        "server":"https://gws1.example.com"},\
        "agent":{"username":"agent1","state":"Mixed","work_mode":null,"reason":null,"dnd":false,"synced":true,\
        "devices":[{"id":"74152ed8-858f-4a33-9e96-000000005001","device_state":"Active",\
        "state":"NotReady","work_mode":"AfterCallWork","reason":null,\
        "display_name":"AfterCallWork","dnd":false,"phone_number":"5001",\
        "capabilities":["ForwardCallsOn","DoNotDisturbOn"],"since":"2026-12-01T21:26:33.370Z"}],\
        "channels":[{"name":"voice","state":"NotReady","work_mode":"AfterCallWork","reason":null,\
        "display_name":"AfterCallWork","dnd":false,"since":"2026-12-01T21:26:33.373Z"},\
        {"name":"chat","state":"Ready","work_mode":null,"reason":null,\
        "display_name":"Ready","dnd":false,"since":null}],\
        "last_notification_at":"2026-12-01T21:26:33.373Z",\
        "state_since":"2026-12-01T21:26:33.370Z","dnd_since":null,"on_call":true,\
        "calls":[{"id":"0071020000000001","state":"Established","type":"Inbound",\
        "device_id":"74152ed8-858f-4a33-9e96-000000005001",\
        "since":"2026-12-01T21:26:32.910Z","participants":null,"attached_data":null}]}}

        """

    func run() throws {
        print("encode: the documented state document, \(rounds) times")
        let document: StateDocument
        do { document = try StateDocument.decode(Array(Self.sample.utf8)) } catch {
            throw BenchError("the sample document does not decode: \(error)")
        }
        let size = document.encoded().count
        var bytes = 0
        let start = monotonicNanoseconds()
        for _ in 0..<rounds { bytes &+= document.encoded().count }
        let elapsed = monotonicNanoseconds() - start
        report(
            String(
                format: "%d bytes per document: %.2f µs per encode", size,
                Double(elapsed) / Double(rounds) / 1000),
            target: bytes == size * rounds)
    }
}
