import BayeuxCore

/// What the coordinator needs to know beyond the model: subscriptions, the nodes of the
/// GWS cluster, and the retry policy.
public struct CoordinatorSettings: Sendable, Equatable {
    /// Channels the Bayeux client subscribes to; a resync waits for all of them.
    public var channels: [String]
    /// The base URL of each node of the GWS cluster (one entry for a single server or a
    /// load balancer). The daemon logs in on the first and moves on when one fails.
    public var servers: [String]
    /// Consecutive failures of a node (refused, timed out, reset, HTTP 5xx) after which
    /// the daemon logs in on the next one. Only used with more than one server.
    public var failoverAfter: Int
    /// An HTTP-session loss this long after the last recovery starts a new streak: losses
    /// closer together are paced by the backoff, so a server that accepts every login and
    /// refuses the next request is not hammered.
    public var stablePeriod: Duration
    /// POST `StartContactCenterSession` once the subscriptions are confirmed.
    public var startContactCenterSession: Bool
    /// Delays between REST retries (login and resync).
    public var backoff: BackoffPolicy
    /// Consecutive authentication refusals (HTTP 401) after which the daemon gives up.
    public var maxAuthenticationFailures: Int
    /// Notifications kept while a resync is in flight; past this the resync restarts.
    public var maxBufferedNotifications: Int
    /// Whether calls' participants and attached data are kept and published (personal data).
    public var publishCallDetails: Bool

    /// Whether the subscriptions cover `/v2/me/calls`: the agent's calls are then followed,
    /// read from REST at every resync and published.
    public var tracksCalls: Bool {
        channels.contains { ChannelPattern($0)?.matches("/v2/me/calls") == true }
    }

    public init(
        channels: [String], servers: [String] = [], failoverAfter: Int = 3, stablePeriod: Duration = .seconds(10),
        startContactCenterSession: Bool = false, backoff: BackoffPolicy = BackoffPolicy(),
        maxAuthenticationFailures: Int = 3, maxBufferedNotifications: Int = 10_000, publishCallDetails: Bool = false
    ) {
        self.publishCallDetails = publishCallDetails
        self.channels = channels
        self.servers = servers
        self.failoverAfter = max(1, failoverAfter)
        self.stablePeriod = stablePeriod
        self.startContactCenterSession = startContactCenterSession
        self.backoff = backoff
        self.maxAuthenticationFailures = maxAuthenticationFailures
        self.maxBufferedNotifications = maxBufferedNotifications
    }
}
