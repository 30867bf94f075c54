import CurlTransport
import HTTPTransport
import ScriptedHTTPServer
import Testing

@Suite("TLS options and proxies")
struct TLSAndProxyTests {
    @Test("An unknown CA is refused by default, accepted with ca_file, or with verification explicitly off")
    func verification() async throws {
        let pki = try await TestPKI.make()
        let server = try await TLSServer.start(pki: pki, requireClientCertificate: false)
        defer { server.stop() }
        guard case .failure(.tls) = try await getOnce(server.url, CurlConfiguration()) else {
            Issue.record("a self-signed chain must fail verification by default")
            return
        }
        let trusted = try await getOnce(server.url, CurlConfiguration(caFile: pki.ca)).get()
        #expect(String(decoding: trusted.body, as: UTF8.self) == #"{"tls":true}"#)
        let unverified = try await getOnce(server.url, CurlConfiguration(tlsVerify: false)).get()
        #expect(unverified.status == 200)
    }

    @Test("A server that requires a client certificate gets it from the configuration")
    func clientCertificate() async throws {
        let pki = try await TestPKI.make()
        let server = try await TLSServer.start(pki: pki, requireClientCertificate: true)
        defer { server.stop() }
        let without = try await getOnce(server.url, CurlConfiguration(caFile: pki.ca))
        guard case .failure = without else {
            Issue.record("the server must refuse a client without a certificate")
            return
        }
        let with = try await getOnce(
            server.url,
            CurlConfiguration(caFile: pki.ca, clientCertificateFile: pki.clientCert, clientKeyFile: pki.clientKey)
        ).get()
        #expect(with.status == 200)
    }

    @Test("A missing CA file is a TLS error, not a crash")
    func missingCAFile() async throws {
        let pki = try await TestPKI.make()
        let server = try await TLSServer.start(pki: pki, requireClientCertificate: false)
        defer { server.stop() }
        guard case .failure(.tls) = try await getOnce(server.url, CurlConfiguration(caFile: "/nonexistent/ca.pem"))
        else {
            Issue.record("expected a TLS error")
            return
        }
    }

    @Test("A configured proxy carries every request")
    func proxy() async throws {
        let proxy = try await ScriptedHTTPServer.start { request in .json(#"{"proxied":"\#(request.uri)"}"#) }
        defer { Task { await proxy.stop() } }
        let response = try await getOnce("http://gws.example.test/api/v2/me", CurlConfiguration(proxy: proxy.baseURL))
            .get()
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"proxied":"http://gws.example.test/api/v2/me"}"#)
    }
}
