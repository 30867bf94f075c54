import Text

/// Why a connection to a server failed, classified for an operator: the cause, where the
/// client was connecting, what the HTTP library said exactly, and what to do about it.
///
/// Built from the library's specific error text (libcurl's error buffer), never from
/// anything the request carried: the text holds no path, query or credentials.
public struct ConnectionDiagnosis: Sendable, Equatable, CustomStringConvertible {
    /// The classes of failure an operator can act on.
    public enum Cause: String, Sendable, Equatable, CaseIterable {
        case unknownIssuer = "certificate from an unknown issuer"
        case selfSigned = "self-signed certificate"
        case expired = "certificate expired"
        case notYetValid = "certificate not yet valid"
        case nameMismatch = "certificate for another name"
        case protocolMismatch = "no TLS version or cipher in common"
        case otherTLS = "TLS handshake failed"
        case unresolvable = "host name does not resolve"
        case proxyUnresolvable = "proxy name does not resolve"
        case refused = "connection refused"
        case proxyRefused = "proxy refused the connection"
        case proxyTunnelRefused = "proxy refused the tunnel"
        case unreachable = "host unreachable"
    }

    public var cause: Cause
    /// Where the client was connecting.
    public var endpoint: Endpoint
    /// The HTTP library's own words.
    public var detail: String
    /// What the server's certificate says, when it could be read.
    public var certificate: PeerCertificate?

    public init(cause: Cause, endpoint: Endpoint, detail: String, certificate: PeerCertificate? = nil) {
        self.cause = cause
        self.endpoint = endpoint
        self.detail = detail
        self.certificate = certificate
    }

    /// Classifies a TLS failure from the library's text.
    public static func tls(detail: String, endpoint: Endpoint) -> ConnectionDiagnosis {
        let text = detail.lowercased()
        let cause: Cause
        if text.contains("self-signed certificate in certificate chain")
            || text.contains("self signed certificate in certificate chain")
            || text.contains("unable to get local issuer") || text.contains("unable to get issuer")
            || text.contains("unable to verify the first certificate")
        {
            cause = .unknownIssuer
        } else if text.contains("self-signed") || text.contains("self signed") {
            cause = .selfSigned
        } else if text.contains("has expired") || text.contains("certificate expired") {
            cause = .expired
        } else if text.contains("not yet valid") {
            cause = .notYetValid
        } else if text.contains("subject name") || text.contains("does not match target host")
            || text.contains("no alternative certificate subject")
        {
            cause = .nameMismatch
        } else if text.contains("wrong version number") || text.contains("unsupported protocol")
            || text.contains("protocol version") || text.contains("no shared cipher")
            || text.contains("no cipher") || text.contains("handshake failure")
        {
            cause = .protocolMismatch
        } else {
            cause = .otherTLS
        }
        return ConnectionDiagnosis(cause: cause, endpoint: endpoint, detail: detail)
    }

    /// Whether the server's certificate, read without verifying it, would tell more (its
    /// dates or names).
    public var wantsCertificate: Bool {
        switch cause {
        case .unknownIssuer, .selfSigned, .expired, .notYetValid, .nameMismatch: return true
        default: return false
        }
    }

    /// One line of advice for this cause.
    public var hint: String {
        switch cause {
        case .unknownIssuer: return "set server.ca_file to the CA that signed GWS's certificate"
        case .selfSigned:
            return "GWS's certificate is self-signed: set server.ca_file to it, or give GWS one a trusted CA signed"
        case .expired: return "renew GWS's certificate, or correct this host's clock if it is wrong"
        case .notYetValid: return "correct this host's clock, or GWS's certificate was issued to start later"
        case .nameMismatch:
            if let names = certificate?.names, !names.isEmpty {
                return "server.url must name GWS as its certificate does (\(names.joined(separator: ", ")))"
            }
            return "server.url must name GWS as its certificate does"
        case .protocolMismatch:
            return "check that server.url is GWS's HTTPS port and that GWS offers TLS 1.2 or later"
        case .otherTLS: return "check server.ca_file, the client certificate settings and GWS's TLS settings"
        case .unresolvable: return "check the host name in server.url and this host's DNS"
        case .proxyUnresolvable: return "check the host name in server.proxy and this host's DNS"
        case .refused: return "check that GWS listens there: the host and port in server.url"
        case .proxyRefused: return "check that the proxy runs and server.proxy names it"
        case .proxyTunnelRefused: return "the proxy would not connect to GWS: check its access rules"
        case .unreachable: return "check the network route to the host in server.url"
        }
    }

    /// "certificate expired at gws.example.com:8443 (valid until …): <library text>; hint".
    public var description: String {
        var facts = ""
        if let certificate {
            switch cause {
            case .expired: facts = certificate.notAfter.map { " (valid until \($0))" } ?? ""
            case .notYetValid: facts = certificate.notBefore.map { " (valid from \($0))" } ?? ""
            default: break
            }
        }
        return "\(cause.rawValue) at \(endpoint)\(facts): \(detail); \(hint)"
    }
}

/// Where a request was going: the server's host and port, and the proxy in between.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The proxy's host and port (never its credentials), when one is configured.
    public var proxy: String?

    public init(host: String, port: Int, proxy: String? = nil) {
        self.host = host
        self.port = port
        self.proxy = proxy
    }

    /// The host and port of `url` (the scheme's default port when none is given), and of
    /// `proxy`; user information, path and query are left out.
    public init(url: String, proxy: String?) {
        let (host, port) = Self.hostAndPort(url, defaultPort: url.lowercased().hasPrefix("https:") ? 443 : 80)
        self.init(
            host: host, port: port, proxy: proxy.map { Self.hostAndPort($0, defaultPort: 1080) }.map { "\($0):\($1)" })
    }

    public var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "\(bracketed):\(port)" + (proxy.map { " via proxy \($0)" } ?? "")
    }

    /// Splits `scheme://user@host:port/path` into host and port.
    static func hostAndPort(_ url: String, defaultPort: Int) -> (String, Int) {
        var rest = Substring(url)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            let port = after.hasPrefix(":") ? Int(after.dropFirst()) : nil
            return (host, port ?? defaultPort)
        }
        if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) {
            return (String(rest[..<colon]), port)
        }
        return (String(rest), defaultPort)
    }
}

/// What a server's certificate says about itself, as read without verifying it.
public struct PeerCertificate: Sendable, Equatable {
    /// The start of validity, as the library prints it (`Nov 22 09:47:02 2026 GMT`).
    public var notBefore: String?
    /// The end of validity.
    public var notAfter: String?
    /// The subject alternative names (`DNS:gws.example.com`, `IP Address:10.0.0.1`).
    public var names: [String]

    public init(notBefore: String? = nil, notAfter: String? = nil, names: [String] = []) {
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.names = names
    }

    /// Reads libcurl's certificate-information lines (`Name:value`) of the server's own
    /// certificate. At most 16 names are kept, each at most 256 characters.
    public init(fields: [String]) {
        self.init()
        for field in fields {
            guard let colon = field.firstIndex(of: ":") else { continue }
            let name = field[..<colon]
            let value = String(field[field.index(after: colon)...]).trimmingWhitespace
            switch name {
            case "Start date": notBefore = value
            case "Expire date": notAfter = value
            case "X509v3 Subject Alternative Name":
                names = value.split(separator: ",").prefix(16).map { String($0.trimmingWhitespace.prefix(256)) }
            default: break
            }
        }
    }
}
