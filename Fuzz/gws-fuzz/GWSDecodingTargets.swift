import AgentState
import GWS
import JSON

/// The GWS notification decoder and the agent cache: the bytes are a notification's
/// `data` on both channels; decoded leniently, applied to a cache built from a snapshot,
/// summarised and encoded as a state document.
enum NotificationTarget {
    static func run(_ bytes: [UInt8]) {
        let data = try? JSONParser().parse(bytes)
        var cache = AgentCache()
        if let snapshot = try? UserSnapshot.decode(Array(seedSnapshot.utf8)) { cache.replace(with: snapshot) }
        for channel in ["/v2/me/devices", "/v2/me/channels", "/v2/me/other"] {
            _ = cache.apply(GWSNotification.decode(channel: channel, data: data))
        }
        let agent = StateDocument.Agent(username: "fuzz", cache: cache, synced: true, lastNotificationAt: nil)
        let document = StateDocument(
            generator: "gws-fuzz", pid: 1, invocationID: nil, heartbeatSeconds: 10, seq: 1, changedAt: "",
            connection: .init(state: .connected, since: nil, clientID: nil, handshakes: 1, lastError: nil), agent: agent
        )
        // What is written must read back as the same document.
        guard let decoded = try? StateDocument.decode(document.encoded()), decoded == document else {
            fatalError("a state document did not survive encoding and decoding")
        }
    }

    static let seedSnapshot = """
        {"statusCode":0,"user":{"userName":"agent1","devices":[{"id":"d1","deviceState":"Active",\
        "userState":{"state":"Ready","displayName":"Ready"},"phoneNumber":"5001","doNotDisturb":"Off",\
        "capabilities":["DoNotDisturbOn"]}],"channels":[{"channel":"voice","dndState":"Off",\
        "userState":{"state":"Ready","displayName":"Ready"}}]}}
        """
}

/// The REST snapshot, the operation reply (with every HTTP status class) and the
/// agent-state list decoders.
enum RESTReplyTarget {
    static func run(_ bytes: [UInt8]) {
        _ = try? UserSnapshot.decode(bytes)
        for status in [200, 400, 401, 403, 404, 500, 503] {
            _ = try? OperationReply.decode(httpStatus: status, body: bytes)
        }
        _ = try? AgentStateSetting.decodeList(bytes)
    }
}
