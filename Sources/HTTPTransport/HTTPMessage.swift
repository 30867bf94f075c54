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
