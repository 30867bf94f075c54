import AgentDaemon
import GWS
import HTTPTransport
import Locking
import Testing

/// A server that answers every request from a script, and records what it was sent.
final class ScriptedClient: HTTPClient {
    private let replies: Locked<[HTTPResponse]>
    let sent = Locked<[HTTPRequest]>([])

    init(_ replies: [HTTPResponse]) {
        self.replies = Locked(replies)
    }

    func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        sent.withLock { $0.append(request) }
        return replies.withLock { $0.isEmpty ? HTTPResponse(status: 500) : $0.removeFirst() }
    }

    func clearCookies() async {}
    func shutdown() {}
}

/// What a hostile or broken GWS can hand the REST client: header names that would add
/// header lines, and text that echoes the credentials.
@Suite("Hostile REST replies")
struct HostileReplyTests {
    static let password = Password("Tr0ub4dor&3", source: "test")

    func client(_ replies: [HTTPResponse]) -> (GWSRestClient, ScriptedClient) {
        let http = ScriptedClient(replies)
        return (
            GWSRestClient(
                http: http, baseURL: "https://gws", username: "agent1", password: Self.password, timeout: .seconds(1)),
            http
        )
    }

    static let snapshot = Array(#"{"statusCode":0,"user":{"userName":"agent1","devices":[],"channels":[]}}"#.utf8)

    @Test("A CSRF header name that is not an HTTP token, or a token with a line break, is not sent back")
    func csrfHeaderValidated() async throws {
        let (rest, http) = client([
            HTTPResponse(
                status: 200,
                headers: [HTTPHeader("X-CSRF-HEADER", "X-Evil: 1\r\nX-More"), HTTPHeader("X-CSRF-TOKEN", "tok-1")],
                body: Self.snapshot),
            HTTPResponse(status: 200, body: Array(#"{"statusCode":0}"#.utf8)),
            HTTPResponse(
                status: 200, headers: [HTTPHeader("X-CSRF-HEADER", "X-Other"), HTTPHeader("X-CSRF-TOKEN", "a\nb")],
                body: Self.snapshot),
        ])
        _ = try await rest.fetchSnapshot()
        #expect(rest.bayeuxHeaders.contains(HTTPHeader("X-CSRF-TOKEN", "tok-1")), "the default name instead")
        _ = try await rest.perform(AgentOperation(name: "Ready"))
        let post = try #require(http.sent.withLock { $0.last })
        #expect(post.headers.allSatisfy { HTTPHeader.isToken($0.name) && HTTPHeader.isSafeValue($0.value) })
        _ = try await rest.fetchSnapshot()
        #expect(!rest.bayeuxHeaders.contains { $0.value.contains("\n") }, "a token with a line break is ignored")
        #expect(HTTPHeader.isToken("X-CSRF-TOKEN") && !HTTPHeader.isToken("") && !HTTPHeader.isToken("a b"))
    }

    @Test(
        "A CSRF header name HTTP gives a meaning of its own (Host, Cookie, …) is not sent back",
        arguments: ["Host", "Content-Length", "Cookie", "Authorization"])
    func csrfHeaderNotReserved(name: String) async throws {
        let (rest, _) = client([
            HTTPResponse(
                status: 200, headers: [HTTPHeader("X-CSRF-HEADER", name), HTTPHeader("X-CSRF-TOKEN", "tok-1")],
                body: Self.snapshot)
        ])
        _ = try await rest.fetchSnapshot()
        #expect(rest.bayeuxHeaders.contains(HTTPHeader("X-CSRF-TOKEN", "tok-1")), "the default name instead")
        #expect(!rest.bayeuxHeaders.contains(HTTPHeader(name, "tok-1")))
    }

    @Test("Server text that echoes the password or the Basic token is redacted in every error and reply")
    func redaction() async throws {
        let basic = "YWdlbnQxOlRyMHViNGRvciYz"  // agent1:Tr0ub4dor&3
        let echo = "you sent Authorization: Basic \(basic) with password Tr0ub4dor&3"
        let (rest, _) = client([
            HTTPResponse(status: 403, body: Array(echo.utf8)),
            HTTPResponse(status: 502, body: Array(echo.utf8)),
            HTTPResponse(status: 200, body: Self.snapshot),
            HTTPResponse(status: 200, body: Array(#"{"statusCode":2,"statusMessage":"\#(echo)"}"#.utf8)),
        ])
        for _ in 0..<2 {
            do {
                _ = try await rest.fetchSnapshot()
                Issue.record("expected an error")
            } catch {
                #expect(!error.description.contains("Tr0ub4dor") && !error.description.contains(basic), "\(error)")
                #expect(error.description.contains("[redacted]"), "\(error)")
            }
        }
        let reply = try await rest.perform(AgentOperation(name: "Ready"))
        guard case .rejected(_, let message?) = reply else {
            Issue.record("expected a rejection, got \(reply)")
            return
        }
        #expect(!message.contains("Tr0ub4dor") && !message.contains(basic) && message.contains("[redacted]"))
    }
}
