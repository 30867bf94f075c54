import BuildVersion
import CurlTransport

extension ServerSettings {
    /// How libcurl connects to this server: TLS verification, the CA file, the client
    /// certificate and key, the proxy, and the daemon's User-Agent. The daemon's sessions
    /// and the operator commands' own logins connect alike.
    public var curlConfiguration: CurlConfiguration {
        CurlConfiguration(
            tlsVerify: tlsVerify, caFile: caFile, clientCertificateFile: clientCertificateFile,
            clientKeyFile: clientKeyFile, proxy: proxy, userAgent: "gws-agentd/\(BuildVersion.current)")
    }
}
