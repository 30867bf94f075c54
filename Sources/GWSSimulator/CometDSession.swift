import BayeuxCore

/// One Bayeux session on the simulated server.
struct CometDSession {
    /// Why a held connect stopped waiting (`abandoned`: the request's own task was cancelled,
    /// as when a client served in memory gives up on it).
    enum Wake: Sendable { case events, timeout, superseded, dropped, abandoned }

    let id: String
    /// The `BAYEUX_BROWSER` cookie the session is bound to.
    let browser: String
    /// The GWS user the session belongs to.
    let username: String
    var subscriptions: [ChannelPattern] = []
    /// Deliveries waiting for the next connect.
    var queue: [BayeuxMessage] = []
    /// A connect being held: a token that tells it apart from later ones, the waiting
    /// request, and the timer that ends the hold.
    struct Held {
        var token: UInt64
        var continuation: CheckedContinuation<Wake, Never>
        var timer: Task<Void, Never>
    }

    /// The connect being held, if any.
    var held: Held?
    /// When the session last saw a connect end (or began), for the sweeper.
    var lastActivity: ContinuousClock.Instant
    /// Whether the client asked for the ack extension on its handshake.
    var ackEnabled = false
    /// Batches sent but not yet acknowledged, oldest first (ack extension).
    var unacknowledged: [(batch: Int64, messages: [BayeuxMessage])] = []
    var lastBatch: Int64 = 0

    /// Whether a message on `channel` is for this session.
    func wants(_ channel: String) -> Bool { subscriptions.contains { $0.matches(channel) } }
}
