import CurlTransport
import HTTPTransport
import ScriptedHTTPServer
import Testing

@Suite("The scripted HTTP server")
struct ScriptedHTTPServerTests {
    @Test("It answers with what its handler decides, records the request, and keeps the connection alive")
    func answersAndKeepsAlive() async throws {
        let server = try await ScriptedHTTPServer.start { request in
            .json(
                #"{"path":"\#(request.uri)","connection":\#(request.connection)}"#,
                headers: [("X-Seen", request.method)])
        }
        let client = try #require(CurlHTTPClient())
        defer { client.shutdown() }
        for path in ["/a", "/b"] {
            let response = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + path))
            #expect(response.status == 200)
            #expect(response.header("X-Seen") == "GET")
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"path":"\#(path)","connection":1}"#)
        }
        #expect(server.acceptedConnections == 1)
        await server.stop()
    }

    @Test("A truncated response ends the connection mid-body")
    func truncated() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .truncated(declaredLength: 100, body: Array("[1".utf8)) }
        let client = try #require(CurlHTTPClient())
        defer { client.shutdown() }
        await #expect(throws: TransportError.self) {
            _ = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/x"))
        }
        await server.stop()
    }
}
