import FoundationEssentials
import GWS
import HTTPTransport
import Locking
import Text

/// The REST side of a GWS session: Basic credentials on every request, the cookie jar
/// shared with the Bayeux client (one ``HTTPClient``), and the CSRF token GWS hands out
/// on every GET, sent on every POST.
public final class GWSRestClient: Sendable {
    private let http: any HTTPClient
    private let baseURL: String
    private let authorization: HTTPHeader
    private let timeout: Duration
    private let csrf = Locked<HTTPHeader?>(nil)
    private let redact: SecretRedaction

    /// - Parameters:
    ///   - baseURL: the server's base URL (`https://gws.example.com`), without `/api/v2`.
    ///   - timeout: the deadline of each request.
    public init(http: any HTTPClient, baseURL: String, username: String, password: Password, timeout: Duration) {
        self.http = http
        self.baseURL = baseURL
        self.timeout = timeout
        let token = Data("\(username):\(password.secret)".utf8).base64EncodedString()
        authorization = HTTPHeader("Authorization", "Basic " + token)
        redact = SecretRedaction(password: password.secret, basicToken: token)
    }

    /// The headers every CometD request carries: the Basic credentials and, once known,
    /// the CSRF token (GWS may enforce it on the notifications endpoint too).
    public var bayeuxHeaders: [HTTPHeader] {
        [authorization] + (csrf.withLock { $0 }.map { [$0] } ?? [])
    }

    /// `GET /api/v2/me?subresources=*`: the agent's snapshot. It also sets the session
    /// cookie and refreshes the CSRF token.
    ///
    /// With `calls`, then `GET /api/v2/me/calls?fields=*`: a failure of that read (other
    /// than the session's: a 401 or 403 throws, as for the user) leaves the snapshot
    /// usable with ``UserSnapshot/calls`` `nil` and the reason in ``UserSnapshot/callsProblem``.
    public func fetchSnapshot(calls: Bool = false) async throws(RESTError) -> UserSnapshot {
        var result: UserSnapshot
        do { result = try await snapshot() } catch { throw redact(error) }
        guard calls else { return result }
        let read: Result<[CallResource], RESTError>
        do { read = .success(try await self.calls()) } catch { read = .failure(redact(error)) }
        switch read {
        case .success(let list): result.calls = list
        case .failure(.unauthorized(let detail)): throw .unauthorized(detail)
        case .failure(.forbidden(let detail)): throw .forbidden(detail)
        case .failure(let error): result.callsProblem = error.description
        }
        return result
    }

    private func calls() async throws(RESTError) -> [CallResource] {
        let response = try await get("/api/v2/me/calls?fields=*")
        do { return try CallResource.decodeList(response.body) } catch { throw .reply(error) }
    }

    private func snapshot() async throws(RESTError) -> UserSnapshot {
        let response = try await get("/api/v2/me?subresources=*")
        do {
            return try UserSnapshot.decode(response.body)
        } catch .status(code: 20, let message) {
            throw .unauthorized(message ?? "statusCode 20")
        } catch {
            throw .reply(error)
        }
    }

    /// `GET /api/v2/settings/agent-states`: the operations the agent may use.
    public func agentStates() async throws(RESTError) -> [AgentStateSetting] {
        do { return try await states() } catch { throw redact(error) }
    }

    private func states() async throws(RESTError) -> [AgentStateSetting] {
        let response = try await get("/api/v2/settings/agent-states")
        do { return try AgentStateSetting.decodeList(response.body) } catch { throw .reply(error) }
    }

    /// POSTs an agent-state operation. Without a CSRF token yet, or when the token is
    /// refused (HTTP 403), it GETs the user resource for a fresh one and tries once more.
    public func perform(_ operation: AgentOperation) async throws(RESTError) -> OperationReply {
        do { return redact(try await post(operation)) } catch { throw redact(error) }
    }

    private func post(_ operation: AgentOperation) async throws(RESTError) -> OperationReply {
        if csrf.withLock({ $0 }) == nil { _ = try await get("/api/v2/me") }
        var response = try await post(operation.path, body: operation.body)
        if response.status == 403 {
            _ = try await get("/api/v2/me")
            response = try await post(operation.path, body: operation.body)
        }
        switch response.status {
        case 401: throw .unauthorized("HTTP 401")
        case 403: throw .forbidden(Self.text(response.body) ?? "no reason given")
        default: break
        }
        do {
            return try OperationReply.decode(httpStatus: response.status, body: response.body)
        } catch {
            if (200..<300).contains(response.status) { throw .reply(error) }
            throw .http(status: response.status, detail: error.description)
        }
    }

    /// A GET with Basic credentials; records the CSRF token of the reply.
    private func get(_ path: String) async throws(RESTError) -> HTTPResponse {
        let response = try await send(
            HTTPRequest(method: .get, url: baseURL + path, headers: [authorization], timeout: timeout))
        // The header name and token are sent back on every POST: only an HTTP token that
        // names no header HTTP itself gives meaning to (Host, Cookie, Content-Length, …), and
        // a printable value, so that a hostile reply can neither add header lines nor
        // replace the request's own.
        if let token = response.header("X-CSRF-TOKEN"), HTTPHeader.isSafeValue(token, limit: 512) {
            let offered = response.header("X-CSRF-HEADER") ?? "X-CSRF-TOKEN"
            let name = HTTPHeader.isCustomName(offered) ? offered : "X-CSRF-TOKEN"
            csrf.withLock { $0 = HTTPHeader(name, token) }
        }
        switch response.status {
        case 200..<300: return response
        case 401: throw .unauthorized("HTTP 401")
        case 403: throw .forbidden(Self.text(response.body) ?? "no reason given")
        default: throw .http(status: response.status, detail: Self.errorDetail(response.body))
        }
    }

    private func post(_ path: String, body: [UInt8]) async throws(RESTError) -> HTTPResponse {
        var headers = [authorization, HTTPHeader("Content-Type", "application/json")]
        if let token = csrf.withLock({ $0 }) { headers.append(token) }
        return try await send(
            HTTPRequest(method: .post, url: baseURL + path, headers: headers, body: body, timeout: timeout))
    }

    private func send(_ request: HTTPRequest) async throws(RESTError) -> HTTPResponse {
        do { return try await http.perform(request) } catch { throw .transport(error) }
    }

    /// The GWS message of an error body, or a short excerpt of a non-JSON one.
    static func errorDetail(_ body: [UInt8]) -> String? {
        if let reply = try? OperationReply.decode(httpStatus: 500, body: body),
            case .rejected(let code, let message) = reply
        {
            return GWSReplyError.status(code: code, message: message).description
        }
        return text(body)
    }

    /// A printable excerpt of a body: its first line, control characters escaped, at most
    /// 200 characters; `nil` for an empty body or an HTML page.
    static func text(_ body: [UInt8]) -> String? { ServerText.excerpt(of: body, limit: 200) }
}
