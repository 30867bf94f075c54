import HTTPTransport

/// How to reach GWS: the `server.*` keys but the credentials, shared by every agent. A
/// change here needs new GWS sessions (``AgentConfiguration/needsReconnect(from:)``).
public struct ServerSettings: Sendable, Equatable {
    /// The base URL of each node, without a trailing slash: REST lives under
    /// `{url}/api/v2`. One entry for a single server or a load balancer; several for
    /// the nodes of one GWS cluster, tried in order when one fails.
    public var urls: [String]
    public var caFile: String?
    public var tlsVerify: Bool
    public var proxy: String?
    /// Allowance for network latency on top of the long-poll hold time.
    public var maxNetworkDelay: Duration
    /// Consecutive failures of a node after which the next one is used.
    public var failoverAfter: Int
    /// `server.allow_insecure`: cleartext `http://` to a host other than the loopback,
    /// or `tls_verify: false`, accepted (and warned about).
    public var allowInsecure: Bool

    public init(
        urls: [String], caFile: String? = nil, tlsVerify: Bool = true, proxy: String? = nil,
        maxNetworkDelay: Duration = .seconds(10), failoverAfter: Int = 3, allowInsecure: Bool = false
    ) {
        self.urls = urls
        self.caFile = caFile
        self.tlsVerify = tlsVerify
        self.proxy = proxy
        self.maxNetworkDelay = maxNetworkDelay
        self.failoverAfter = failoverAfter
        self.allowInsecure = allowInsecure
    }

    /// A single server.
    public init(url: String, caFile: String? = nil, tlsVerify: Bool = true, maxNetworkDelay: Duration = .seconds(10)) {
        self.init(urls: [url], caFile: caFile, tlsVerify: tlsVerify, maxNetworkDelay: maxNetworkDelay)
    }

    /// The first (or only) node's base URL.
    public var url: String { urls.first ?? "" }

    /// `{url}/api/v2/notifications` of the first node, the CometD endpoint.
    public var notificationsURL: String { url + "/api/v2/notifications" }

    /// What exposes the password or the session to the network path: cleartext
    /// `http://` to a host other than the loopback, TLS verification off. Empty when
    /// nothing does.
    public var insecurity: [String] {
        var reasons = urls.filter(Self.isCleartextOffHost).map { "cleartext HTTP to \($0)" }
        if !tlsVerify { reasons.append("TLS verification off") }
        return reasons
    }

    /// Whether `url` is `http://` to a host other than the loopback.
    static func isCleartextOffHost(_ url: String) -> Bool {
        guard url.lowercased().hasPrefix("http://") else { return false }
        let host = Endpoint(url: url, proxy: nil).host.lowercased()
        return !(host == "localhost" || host == "::1" || host.hasPrefix("127."))
    }
}
