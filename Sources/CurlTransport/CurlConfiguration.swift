/// How the libcurl client connects: TLS material, proxy, limits.
public struct CurlConfiguration: Sendable, Equatable {
    /// Verify the server certificate and host name. Turning this off is explicit only.
    public var tlsVerify: Bool
    /// A PEM bundle of trusted CAs used instead of the system store.
    public var caFile: String?
    /// A PEM client certificate, for servers that require mutual TLS.
    public var clientCertificateFile: String?
    /// The private key of ``clientCertificateFile``.
    public var clientKeyFile: String?
    /// A proxy URL. When `nil`, libcurl reads `https_proxy`, `http_proxy` and `no_proxy`
    /// from the environment, as the curl command does.
    public var proxy: String?
    /// Responses with a larger body are abandoned with ``TransportError/responseTooLarge(limit:)``.
    public var maxResponseSize: Int
    /// The deadline for establishing a connection (within the request's own deadline).
    public var connectTimeout: Duration
    /// The `User-Agent` header.
    public var userAgent: String
    /// How long a loop keeps the certificate store libcurl built from the CA bundle
    /// (``caFile``, or libcurl's default bundle) for its new connections; `nil` keeps it for
    /// ever, zero builds one per connection. Building one from a 140-CA bundle costs about
    /// 100 ms of CPU and 1 MB per connection that holds it; a replaced bundle is read
    /// again once the lifetime has passed.
    public var caStoreLifetime: Duration?

    public init(
        tlsVerify: Bool = true, caFile: String? = nil, clientCertificateFile: String? = nil,
        clientKeyFile: String? = nil, proxy: String? = nil, maxResponseSize: Int = 1 << 20,
        connectTimeout: Duration = .seconds(10), userAgent: String = "gws-agentd",
        caStoreLifetime: Duration? = .seconds(60)
    ) {
        self.tlsVerify = tlsVerify
        self.caFile = caFile
        self.clientCertificateFile = clientCertificateFile
        self.clientKeyFile = clientKeyFile
        self.proxy = proxy
        self.maxResponseSize = maxResponseSize
        self.connectTimeout = connectTimeout
        self.userAgent = userAgent
        self.caStoreLifetime = caStoreLifetime
    }
}
