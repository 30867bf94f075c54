import HTTPTransport
import Text

/// How to reach GWS: the `server.*` keys but the credentials, shared by every agent. A
/// change here needs new GWS sessions (``AgentConfiguration/needsReconnect(from:)``).
public struct ServerSettings: Sendable, Equatable {
    /// The base URL of each node, without a trailing slash: REST lives under
    /// `{url}/api/v2`. One entry for a single server or a load balancer; several for
    /// the nodes of one GWS cluster, tried in order when one fails.
    public var urls: [String]
    public var caFile: String?
    /// A PEM client certificate and its key, for a GWS (or a proxy in front of it) that
    /// requires mutual TLS (`server.client_certificate_file`, `server.client_key_file`).
    public var clientCertificateFile: String?
    public var clientKeyFile: String?
    public var tlsVerify: Bool
    public var proxy: String?
    /// Allowance for network latency on top of the long-poll hold time.
    public var maxNetworkDelay: Duration
    /// The hold time asked for on every long poll (`server.requested_timeout_s`), for
    /// proxies that cut idle connections sooner than GWS's own timeout; `nil`: GWS's.
    public var requestedTimeout: Duration?
    /// Retries after failures wait `n ×` this (`server.backoff_increment_s`), with jitter…
    public var backoffIncrement: Duration = .seconds(1)
    /// …and never more than this (`server.backoff_max_s`).
    public var backoffMaximum: Duration = .seconds(30)
    /// Consecutive failures of a node after which the next one is used.
    public var failoverAfter: Int
    /// `server.allow_insecure`: cleartext `http://` to a host other than the loopback,
    /// or `tls_verify: false`, accepted (and warned about).
    public var allowInsecure: Bool
    /// The proxy libcurl takes from the environment for `http://` URLs (`http_proxy`, else
    /// `all_proxy`, unless `no_proxy` names the host), read where the configuration is
    /// loaded: cleartext through a proxy elsewhere is cleartext on the network.
    public var environmentProxy: EnvironmentProxy

    public init(
        urls: [String], caFile: String? = nil, tlsVerify: Bool = true, proxy: String? = nil,
        maxNetworkDelay: Duration = .seconds(10), failoverAfter: Int = 3, allowInsecure: Bool = false,
        environmentProxy: EnvironmentProxy = EnvironmentProxy()
    ) {
        self.environmentProxy = environmentProxy
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

    /// What exposes the password or the session to the network path: cleartext `http://`
    /// to a host other than the loopback, or through a proxy other than the loopback; TLS
    /// verification off. Empty when nothing does.
    public var insecurity: [String] {
        var reasons: [String] = []
        for url in urls where url.lowercased().hasPrefix("http://") {
            if let proxy = proxy(for: url) {
                if !Self.isLoopback(Endpoint(url: proxy, proxy: nil).host) {
                    reasons.append("cleartext HTTP to \(url) through the proxy \(Endpoint(url: proxy, proxy: nil))")
                }
            } else if !Self.isLoopback(Endpoint(url: url, proxy: nil).host) {
                reasons.append("cleartext HTTP to \(url)")
            }
        }
        if !tlsVerify { reasons.append("TLS verification off") }
        return reasons
    }

    /// The proxy a request to `url` goes through: `server.proxy`, else the environment's.
    func proxy(for url: String) -> String? {
        if let proxy { return proxy }
        return environmentProxy.proxy(forHost: Endpoint(url: url, proxy: nil).host)
    }

    /// Whether `host` is a loopback address: 127.0.0.0/8 or ::1, as addresses. A name
    /// (`localhost` included) is not: what it resolves to is not the configuration's to say.
    static func isLoopback(_ host: String) -> Bool {
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4,
            octets.allSatisfy({
                !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) && Int($0).map { $0 <= 255 } == true
            })
        else { return false }
        return octets[0] == "127"
    }
}

/// The proxy settings libcurl reads from the environment for `http://` URLs.
public struct EnvironmentProxy: Sendable, Equatable {
    /// `http_proxy` (libcurl reads only the lower-case name for HTTP), else `all_proxy`/`ALL_PROXY`.
    public var proxy: String?
    /// `no_proxy`/`NO_PROXY`: hosts (and domains) reached directly.
    public var exceptions: [String]

    public init(proxy: String? = nil, exceptions: [String] = []) {
        self.proxy = proxy
        self.exceptions = exceptions
    }

    /// Read from `environment` as libcurl does.
    public init(environment: [String: String]) {
        let value = { (name: String) in environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        proxy = value("http_proxy") ?? value("all_proxy") ?? value("ALL_PROXY")
        exceptions = (value("no_proxy") ?? value("NO_PROXY") ?? "").split(separator: ",").map {
            String($0).trimmingWhitespace.lowercased()
        }.filter { !$0.isEmpty }
    }

    /// The proxy for `host`, unless `no_proxy` exempts it (`*`, the host, or a domain of it).
    public func proxy(forHost host: String) -> String? {
        guard let proxy else { return nil }
        let host = host.lowercased()
        for exception in exceptions {
            if exception == "*" { return nil }
            let domain = exception.hasPrefix(".") ? String(exception.dropFirst()) : exception
            if host == domain || host.hasSuffix("." + domain) { return nil }
        }
        return proxy
    }
}
