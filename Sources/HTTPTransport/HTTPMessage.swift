/// One HTTP header field.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Header names whose values are secrets and must never be printed.
    static let secretNames: Set<String> = ["authorization", "cookie", "proxy-authorization", "set-cookie"]

    /// Whether `name` can be sent as a header name: an RFC 9110 token (letters, digits and
    /// ``!#$%&'*+-.^_`|~``), 1 to 64 bytes. A name a server hands out (GWS's
    /// `X-CSRF-HEADER`) is checked with this before it is sent back, so that it cannot
    /// smuggle a second header line.
    public static func isToken(_ name: String) -> Bool {
        let symbols = Array("!#$%&'*+-.^_`|~".utf8)
        return (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || symbols.contains(byte)
            }
    }

    /// Header names HTTP or the transport give a meaning of their own: a server may not
    /// choose one of them as the name of a header the client sends back (its CSRF header).
    static let reservedNames: Set<String> = [
        "host", "content-length", "content-type", "content-encoding", "transfer-encoding", "connection",
        "keep-alive", "upgrade", "te", "trailer", "expect", "cookie", "cookie2", "authorization",
        "proxy-authorization", "proxy-connection", "accept", "accept-encoding", "accept-charset", "user-agent",
        "range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "origin",
        "referer", "via", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "max-forwards",
    ]

    /// Whether `name` is a token that names none of ``reservedNames`` (case-insensitively).
    public static func isCustomName(_ name: String) -> Bool {
        isToken(name) && !reservedNames.contains(name.lowercased())
    }

    /// Whether `value` can be sent as a header value: visible ASCII and spaces, at most
    /// `limit` bytes (no CR, LF or other control character).
    public static func isSafeValue(_ value: String, limit: Int = 1024) -> Bool {
        value.utf8.count <= limit && value.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// `text` (a server's reply) with the value of every secret header among `headers`
    /// replaced by `[redacted]`, and for a credential with a scheme (`Basic …`) the
    /// credential alone too: a proxy or server that echoes the request must not leak them.
    public static func redacting(_ headers: [HTTPHeader], in text: String) -> String {
        var result = text
        for header in headers where header.isSecret && header.value.utf8.count >= 4 {
            var secrets = [header.value]
            if let space = header.value.firstIndex(of: " ") {
                let credential = String(header.value[header.value.index(after: space)...])
                if credential.utf8.count >= 4 { secrets.append(credential) }
            }
            for secret in secrets where result.contains(secret) {
                result = result.replacing(secret, with: "[redacted]")
            }
        }
        return redactingQuotedSecrets(in: result)
    }

    /// Where a server's text may quote a secret the client never set itself (a cookie its
    /// jar sent, say): the value after each of these, case-insensitively, is a secret.
    static let quotedSecretMarkers = [
        "authorization:", "cookie:", "x-csrf-token:", "jsessionid=", "bayeux_browser=",
    ].map { Array($0.utf8) }

    /// `text` with the value after every ``quotedSecretMarkers`` entry (up to the next `,`,
    /// `;`, quote, `<`, `&` or line end) replaced by `[redacted]`: an error page that echoes
    /// the request's headers cannot leak the session cookie or a CSRF token into a log line.
    public static func redactingQuotedSecrets(in text: String) -> String {
        let bytes = Array(text.utf8)
        let lower = bytes.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        let stops: Set<UInt8> = [0x2C, 0x3B, 0x22, 0x27, 0x3C, 0x26, 0x0A, 0x0D]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard
                let marker = quotedSecretMarkers.first(where: { marker in
                    index + marker.count <= lower.count && lower[index..<(index + marker.count)].elementsEqual(marker)
                })
            else {
                out.append(bytes[index])
                index += 1
                continue
            }
            out += bytes[index..<(index + marker.count)]
            index += marker.count
            while index < bytes.count, bytes[index] == 0x20 {
                out.append(0x20)
                index += 1
            }
            let start = index
            while index < bytes.count, !stops.contains(bytes[index]) { index += 1 }
            if index > start { out += Array("[redacted]".utf8) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether the value is a secret: credentials, cookies, or a CSRF token.
    public var isSecret: Bool {
        let lower = name.lowercased()
        return Self.secretNames.contains(lower) || lower.contains("csrf") || lower.contains("token")
    }
}

/// A request for an ``HTTPClient``.
public struct HTTPRequest: Sendable, CustomStringConvertible {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public var method: Method
    /// The absolute URL.
    public var url: String
    public var headers: [HTTPHeader]
    /// The body of a POST.
    public var body: [UInt8]
    /// The deadline for the whole exchange, connection included.
    public var timeout: Duration

    public init(
        method: Method, url: String, headers: [HTTPHeader] = [], body: [UInt8] = [], timeout: Duration = .seconds(10)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The request line with header names only: header values may be secrets.
    public var description: String {
        "\(method.rawValue) \(url) [\(headers.map(\.name).joined(separator: ", "))]"
    }
}

/// A complete response from an ``HTTPClient``.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The headers of the final response, in arrival order.
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}
