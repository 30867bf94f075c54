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
    /// A copy of `pki`'s CA file that the test may overwrite.
    private func copiedCAFile(_ pki: TestPKI) throws -> String {
        let path = pki.directory + "/bundle-copy.pem"
        try FileManager.default.copyItem(atPath: pki.ca, toPath: path)
        return path
    }

    /// One GET with a client of its own on `loop`; the client is shut down after.
    private func get(
        _ url: String, _ configuration: CurlConfiguration, on loop: CurlLoop
    ) async throws -> Result<HTTPResponse, TransportError> {
        let client = try #require(CurlHTTPClient(configuration: configuration, sharing: loop))
        defer { client.shutdown() }
        do {
            return .success(try await client.perform(HTTPRequest(method: .get, url: url)))
        } catch {
            return .failure(error)
        }
    }

    @Test("A second client's new connection verifies with the store the first one built")
    func storeSharedAcrossClients() async throws {
        let pki = try await TestPKI.make()
        let other = try await TestPKI.make()
        let server = try await TLSServer.start(pki: pki, requireClientCertificate: false)
        defer { server.stop() }
        let caFile = try copiedCAFile(pki)
        let configuration = CurlConfiguration(caFile: caFile, caStoreLifetime: nil)
        let loop = try #require(CurlLoop())
        defer { loop.stop() }

        let first = try await get(server.url, configuration, on: loop).get()
        #expect(first.status == 200)
        // From now on the file names a CA that did not sign the server's certificate.
        try FileManager.default.removeItem(atPath: caFile)
        try FileManager.default.copyItem(atPath: other.ca, toPath: caFile)

        let second = try await get(server.url, configuration, on: loop)
        #expect(throws: Never.self, "the second client's connection must use the store already built") {
            try second.get()
        }
        // A loop of its own reads the file as it is now, and refuses the server.
        let freshLoop = try #require(CurlLoop())
        defer { freshLoop.stop() }
        guard case .failure(.tls) = try await get(server.url, configuration, on: freshLoop) else {
            Issue.record("a new loop must build its store from the replaced file, and fail to verify")
            return
        }
    }

    @Test("With a lifetime of zero every new connection reads the bundle again")
    func zeroLifetimeRebuilds() async throws {
        let pki = try await TestPKI.make()
        let other = try await TestPKI.make()
        let server = try await TLSServer.start(pki: pki, requireClientCertificate: false)
        defer { server.stop() }
        let caFile = try copiedCAFile(pki)
        let configuration = CurlConfiguration(caFile: caFile, caStoreLifetime: .zero)
        let loop = try #require(CurlLoop())
        defer { loop.stop() }

        #expect(try await get(server.url, configuration, on: loop).get().status == 200)
        try FileManager.default.removeItem(atPath: caFile)
        try FileManager.default.copyItem(atPath: other.ca, toPath: caFile)
        guard case .failure(.tls) = try await get(server.url, configuration, on: loop) else {
            Issue.record("without a kept store the replaced file must be read, and fail to verify")
            return
        }
    }
}
