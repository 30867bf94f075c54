import BayeuxCore
import FoundationEssentials
import JSON
import ScriptedHTTPServer

/// The pieces of a request the simulator routes on.
struct RequestParts {
    var path: String
    var query: [String: String]
    var cookies: [String: String]
    /// `(user, password)` from a Basic `Authorization` header.
    var basic: (String, String)?
    var hasAuthorization: Bool

    init(_ request: RecordedRequest) {
        let parts = request.uri.split(separator: "?", maxSplits: 1)
        path = parts.first.map(String.init) ?? "/"
        query = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
            }
        }
        cookies = [:]
        for header in request.headers where header.name.lowercased() == "cookie" {
            for item in header.value.split(separator: ";") {
                let kv = item.split(separator: "=", maxSplits: 1)
                guard let name = kv.first else { continue }
                cookies[String(name.drop { $0 == " " })] = kv.count > 1 ? String(kv[1]) : ""
            }
        }
        let authorization = request.header("Authorization")
        hasAuthorization = authorization != nil
        basic = nil
        if let authorization, authorization.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(authorization.dropFirst(6))),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            basic = (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
    }
}

extension ScriptedResponse {
    /// A JSON response built from a value.
    static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> ScriptedResponse {
        .respond(
            status: status, headers: [("Content-Type", "application/json")] + headers, body: JSONWriter.bytes(value))
    }

    /// A Bayeux response body.
    static func bayeux(_ messages: [BayeuxMessage], headers: [(String, String)] = []) -> ScriptedResponse {
        .respond(
            status: 200, headers: [("Content-Type", "application/json")] + headers, body: BayeuxCodec.encode(messages))
    }

    /// An HTML error page, as a proxy or servlet container would send.
    static func htmlError(_ status: Int) -> ScriptedResponse {
        .respond(
            status: status, headers: [("Content-Type", "text/html")],
            body: Array(
                "<html><head><title>Error \(status)</title></head><body><h1>HTTP ERROR \(status)</h1></body></html>"
                    .utf8))
    }
}
