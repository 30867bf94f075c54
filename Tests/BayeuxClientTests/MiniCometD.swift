import BayeuxCore
import JSON
import ScriptedHTTPServer

/// A small scripted CometD server for driver tests: handshakes, subscribes, holds
/// connects briefly, queues events, and misbehaves on request.
actor MiniCometD {
    /// A fault applied to the next request(s).
    enum Fault: Sendable {
        case status(Int, body: String)
        case body(String)
        case oversized(Int)
        case truncate
    }

    private(set) var requests: [RecordedRequest] = []
    private var faults: [Fault] = []
    private var queue: [BayeuxMessage] = []
    private var clientCount = 0
    let hold: Duration

    init(hold: Duration = .milliseconds(50)) {
        self.hold = hold
    }

    /// Fails the next requests with `fault`, `count` times.
    func inject(_ fault: Fault, count: Int = 1) { faults += Array(repeating: fault, count: count) }

    /// Queues an event for the next connect reply.
    func publish(_ message: BayeuxMessage) { queue.append(message) }

    /// Every message the client sent on `channel`.
    func sent(on channel: String) -> [BayeuxMessage] {
        requests.flatMap { (try? BayeuxCodec.decode($0.body)) ?? [] }.filter { $0.channel == channel }
    }

    func handle(_ request: RecordedRequest) async -> ScriptedResponse {
        requests.append(request)
        if !faults.isEmpty {
            switch faults.removeFirst() {
            case .status(let code, let body):
                return .respond(status: code, headers: [("Content-Type", "text/html")], body: Array(body.utf8))
            case .body(let text): return .json(text)
            case .oversized(let size):
                return .respond(status: 200, headers: [], body: Array(repeating: 0x20, count: size))
            case .truncate: return .truncated(declaredLength: 500, body: Array("[{\"channel\":".utf8))
            }
        }
        guard let messages = try? BayeuxCodec.decode(request.body) else {
            return .respond(status: 400, headers: [], body: [])
        }
        var replies: [BayeuxMessage] = []
        var cookies: [(String, String)] = []
        for message in messages {
            var reply = BayeuxMessage(channel: message.channel, ["successful": true])
            reply.id = message.id
            switch message.channel {
            case "/meta/handshake":
                clientCount += 1
                reply.clientId = "client-\(clientCount)"
                reply.fields["supportedConnectionTypes"] = ["long-polling"]
                reply.fields["advice"] = ["reconnect": "retry", "interval": 0, "timeout": .int(hold.wholeMilliseconds)]
                cookies.append(("Set-Cookie", "BAYEUX_BROWSER=browser-\(clientCount); Path=/"))
            case "/meta/connect":
                if message.fields["advice"]?["timeout"] != 0, queue.isEmpty {
                    try? await Task.sleep(for: hold)
                }
                replies += queue
                queue = []
            case "/meta/subscribe":
                reply.fields["subscription"] = message.fields["subscription"]
            default:
                break
            }
            replies.append(reply)
        }
        return .json(String(decoding: BayeuxCodec.encode(replies), as: UTF8.self), headers: cookies)
    }
}
