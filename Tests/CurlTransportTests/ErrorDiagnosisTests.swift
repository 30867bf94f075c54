import CurlTransport
import HTTPTransport
import ScriptedHTTPServer
import Testing

/// Every transport error names its cause: libcurl's specific text, the host and port,
/// the proxy, a class and a hint; TLS failures with what the certificate says.
@Suite("Errors that name their cause", .serialized)
struct ErrorDiagnosisTests {
    func failure(_ url: String, _ configuration: CurlConfiguration = CurlConfiguration()) async throws -> TransportError
    {
        let client = try #require(CurlHTTPClient(configuration: configuration))
        defer { client.shutdown() }
        do {
            let response = try await client.perform(HTTPRequest(method: .get, url: url, timeout: .seconds(10)))
            Issue.record("expected a failure, got HTTP \(response.status)")
            return .other("no failure")
        } catch {
            return error
        }
    }

    @Test("Each certificate fault is classified, with the certificate's dates or names and a hint")
    func certificateFaults() async throws {
        let certificates = try await TLSCertificates.make()
        defer { certificates.remove() }
        let expectations: [(TLSCertificates.Case, ConnectionDiagnosis.Cause, [String])] = [
            (.good, .unknownIssuer, ["set server.ca_file to the CA that signed GWS's certificate"]),
            (.expired, .expired, ["(valid until ", "renew GWS's certificate"]),
            (.future, .notYetValid, ["(valid from ", "correct this host's clock"]),
            (.otherName, .nameMismatch, ["DNS:gws.example.test, DNS:gws2.example.test"]),
            (.selfSigned, .selfSigned, ["self-signed"]),
        ]
        for (fixture, cause, fragments) in expectations {
            let server = try await TLSServerProcess.start(certificates, fixture)
            defer { server.stop() }
            // The good certificate is refused only for want of its CA; the others even with it.
            let configuration = CurlConfiguration(caFile: fixture == .good ? nil : certificates.ca)
            let error = try await failure(server.baseURL + "/api/v2/me?secret=1", configuration)
            guard case .tls(let text) = error else {
                Issue.record("\(fixture): expected a TLS error, got \(error)")
                continue
            }
            #expect(text.hasPrefix("\(cause.rawValue) at 127.0.0.1:\(server.port)"), "\(fixture): \(text)")
            for fragment in fragments { #expect(text.contains(fragment), "\(fixture): \(text)") }
            #expect(!text.contains("secret") && !text.contains("/api"), "no path or query: \(text)")
            #expect(error.description.hasPrefix("TLS error: "))
        }
        // With the CA, the good certificate works: the fixture itself is sound.
        let server = try await TLSServerProcess.start(certificates, .good)
        defer { server.stop() }
        let client = try #require(CurlHTTPClient(configuration: CurlConfiguration(caFile: certificates.ca)))
        defer { client.shutdown() }
        let response = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/"))
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"tls":true}"#)
    }

    @Test("A name that does not resolve, a closed port and a refusing proxy each say where and what to check")
    func connectionFaults() async throws {
        let unresolvable = try await failure("https://gws.invalid:8443/api/v2/me")
        guard case .resolve(let resolveText) = unresolvable else {
            Issue.record("expected a resolution failure, got \(unresolvable)")
            return
        }
        #expect(resolveText.hasPrefix("host name does not resolve at gws.invalid:8443: "), "\(resolveText)")
        #expect(
            resolveText.contains("gws.invalid")
                && resolveText.hasSuffix("check the host name in server.url and this host's DNS"))

        let closed = try unusedLoopbackPort()
        let refused = try await failure("http://127.0.0.1:\(closed)/api/v2/me")
        #expect(refused.description.hasPrefix("connection refused at 127.0.0.1:\(closed): "), "\(refused)")
        #expect(refused.description.hasSuffix("check that GWS listens there: the host and port in server.url"))

        let proxyPort = try unusedLoopbackPort()
        let viaProxy = try await failure(
            "https://gws.example.test/api/v2/me", CurlConfiguration(proxy: "http://user:pw@127.0.0.1:\(proxyPort)"))
        let text = viaProxy.description
        #expect(
            text.hasPrefix("proxy refused the connection at gws.example.test:443 via proxy 127.0.0.1:\(proxyPort): "),
            "\(text)")
        #expect(text.hasSuffix("check that the proxy runs and server.proxy names it"))
        #expect(!text.contains("pw"), "no proxy credentials: \(text)")
    }

    @Test("Classification of libcurl's texts, endpoints without credentials, certificate fields")
    func pureParts() {
        let endpoint = Endpoint(host: "gws", port: 443)
        let cases: [(String, ConnectionDiagnosis.Cause)] = [
            ("SSL certificate problem: unable to get local issuer certificate", .unknownIssuer),
            ("SSL certificate problem: self-signed certificate in certificate chain", .unknownIssuer),
            ("SSL certificate problem: self-signed certificate", .selfSigned),
            ("SSL certificate problem: certificate has expired", .expired),
            ("SSL certificate problem: certificate is not yet valid", .notYetValid),
            ("SSL: no alternative certificate subject name matches target host name 'x'", .nameMismatch),
            ("error:0A00010B:SSL routines::wrong version number", .protocolMismatch),
            ("OpenSSL/3.0.19: error:0A000410:SSL routines::sslv3 alert handshake failure", .protocolMismatch),
            ("something new", .otherTLS),
        ]
        for (text, cause) in cases { #expect(ConnectionDiagnosis.tls(detail: text, endpoint: endpoint).cause == cause) }
        #expect(
            Endpoint(url: "https://u:p@gws.example.com:8443/api?x=1", proxy: nil).description == "gws.example.com:8443")
        #expect(
            Endpoint(url: "http://[::1]/x", proxy: "socks5://a:b@proxy").description == "[::1]:80 via proxy proxy:1080")
        #expect(Endpoint(url: "https://gws", proxy: "http://proxy:3128/").description == "gws:443 via proxy proxy:3128")
        let certificate = PeerCertificate(fields: [
            "Subject:CN = gws", "X509v3 Subject Alternative Name:DNS:a.example, IP Address:10.0.0.1",
            "Start date:Nov 22 09:47:02 2026 GMT", "Expire date:Nov 30 09:47:02 2026 GMT",
        ])
        #expect(certificate.names == ["DNS:a.example", "IP Address:10.0.0.1"])
        #expect(certificate.notBefore == "Nov 22 09:47:02 2026 GMT")
        #expect(certificate.notAfter == "Nov 30 09:47:02 2026 GMT")
    }
}
