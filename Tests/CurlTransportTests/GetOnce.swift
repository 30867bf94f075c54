import HTTPTransport
import Testing

@testable import CurlTransport

/// One GET with a client of its own, on `loop` when one is given (as clients on the
/// daemon's executor share one), on the client's own thread otherwise; the client is shut
/// down after. The outcome comes back as a value, so a test can expect a failure.
func getOnce(
    _ url: String, _ configuration: CurlConfiguration, on loop: CurlLoop? = nil
) async throws -> Result<HTTPResponse, TransportError> {
    let made =
        loop.map { CurlHTTPClient(configuration: configuration, sharing: $0) }
        ?? CurlHTTPClient(configuration: configuration)
    let client = try #require(made)
    defer { client.shutdown() }
    do {
        return .success(try await client.perform(HTTPRequest(method: .get, url: url)))
    } catch {
        return .failure(error)
    }
}
