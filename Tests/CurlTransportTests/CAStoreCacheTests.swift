import Foundation
import HTTPTransport
import Testing

@testable import CurlTransport

/// The certificate store libcurl builds from the CA bundle is built once per loop and
/// shared by the new connections of every client on it, as long as the bundle alone is
/// trusted (no certificate directory). The tests replace the bundle after the first
/// connection: a connection that still verifies used the store built before.
@Suite("The CA store is built once per loop")
struct CAStoreCacheTests {
    /// A TLS server whose certificate the test CA signed, a copy of that CA's file the test
    /// may replace, and `replace()`, which puts another CA's certificate in its place.
    private struct Fixture {
        let server: TLSServer
        let caFile: String
        let otherCA: String

        static func make() async throws -> Fixture {
            let pki = try await TestPKI.make()
            let other = try await TestPKI.make()
            let caFile = pki.directory + "/bundle-copy.pem"
            try FileManager.default.copyItem(atPath: pki.ca, toPath: caFile)
            let server = try await TLSServer.start(pki: pki, requireClientCertificate: false)
            return Fixture(server: server, caFile: caFile, otherCA: other.ca)
        }

        /// From now on the file names a CA that did not sign the server's certificate.
        func replace() throws {
            try FileManager.default.removeItem(atPath: caFile)
            try FileManager.default.copyItem(atPath: otherCA, toPath: caFile)
        }
    }

    @Test("A second client's new connection verifies with the store the first one built")
    func storeSharedAcrossClients() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.server.stop() }
        let url = fixture.server.url
        let configuration = CurlConfiguration(caFile: fixture.caFile, caStoreLifetime: nil)
        let loop = try #require(CurlLoop())
        defer { loop.stop() }

        #expect(try await getOnce(url, configuration, on: loop).get().status == 200)
        try fixture.replace()
        let second = try await getOnce(url, configuration, on: loop)
        #expect(throws: Never.self, "the second client's connection must use the store already built") {
            try second.get()
        }
        // A loop of its own reads the file as it is now, and refuses the server.
        let freshLoop = try #require(CurlLoop())
        defer { freshLoop.stop() }
        guard case .failure(.tls) = try await getOnce(url, configuration, on: freshLoop) else {
            Issue.record("a new loop must build its store from the replaced file, and fail to verify")
            return
        }
    }

    @Test("With a lifetime of zero every new connection reads the bundle again")
    func zeroLifetimeRebuilds() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.server.stop() }
        let configuration = CurlConfiguration(caFile: fixture.caFile, caStoreLifetime: .zero)
        let loop = try #require(CurlLoop())
        defer { loop.stop() }

        #expect(try await getOnce(fixture.server.url, configuration, on: loop).get().status == 200)
        try fixture.replace()
        guard case .failure(.tls) = try await getOnce(fixture.server.url, configuration, on: loop) else {
            Issue.record("without a kept store the replaced file must be read, and fail to verify")
            return
        }
    }
}
