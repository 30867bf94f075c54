import BayeuxCore
import JSON

/// The Bayeux response parser and router: the bytes are decoded as a `/meta/connect`
/// reply body and routed by a session state machine that is connected and subscribed,
/// with the ack extension on. Whatever arrives, the machine must stay consistent.
enum BayeuxRouterTarget {
    static func run(_ bytes: [UInt8]) {
        var session = ConnectedSession()
        guard let pending = session.open.first else { return }
        let event: SessionEvent
        do {
            event = .responseReceived(pending.id, try BayeuxCodec.decode(bytes))
        } catch {
            event = .requestFailed(pending.id, RequestFailure(.malformed, error.description))
        }
        session.handle(event)
        // A second reply to the next request exercises what the first one left behind.
        if let next = session.open.first, let messages = try? BayeuxCodec.decode(bytes) {
            session.handle(.responseReceived(next.id, messages))
        }
        _ = BayeuxCodec.encode((try? BayeuxCodec.decode(bytes)) ?? [])
    }
}

/// A state machine driven to `connected`, subscribed to the GWS channels, with its
/// long poll open.
struct ConnectedSession {
    var machine = SessionStateMachine<ManualInstant>(
        configuration: SessionConfiguration(), extensions: [AckExtension()], seed: 7)
    var open: [OutgoingRequest] = []
    let now = ManualInstant(offset: .seconds(1))

    init() {
        handle(.subscribe("/v2/me/devices"))
        handle(.subscribe("/v2/me/channels"))
        handle(.start)
        for _ in 0..<4 {
            let pending = open
            open = []
            for request in pending {
                if machine.state == .connected && request.messages.contains(where: { $0.channel == "/meta/connect" }) {
                    open.append(request)
                } else {
                    handle(.responseReceived(request.id, request.messages.map(Self.success)))
                }
            }
        }
    }

    mutating func handle(_ event: SessionEvent) {
        for action in machine.handle(event, now: now) {
            switch action {
            case .send(let request): open.append(request)
            case .cancel(let ids): open.removeAll { ids.contains($0.id) }
            default: break
            }
        }
    }

    /// The successful reply a CometD server gives to `message`.
    static func success(_ message: BayeuxMessage) -> BayeuxMessage {
        var reply = BayeuxMessage(channel: message.channel, ["successful": true, "clientId": "fuzz-client"])
        reply.id = message.id
        switch message.channel {
        case "/meta/handshake":
            reply.fields["version"] = "1.0"
            reply.fields["supportedConnectionTypes"] = ["long-polling"]
            reply.fields["advice"] = ["reconnect": "retry", "interval": 0, "timeout": 25000]
            reply.setExt("ack", true)
        case "/meta/subscribe":
            reply.fields["subscription"] = message.fields["subscription"] ?? .null
        default:
            break
        }
        return reply
    }
}
