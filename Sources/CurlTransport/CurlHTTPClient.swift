import CCurl
import HTTPTransport

/// An ``HTTPClient`` backed by libcurl's multi interface.
///
/// All requests of one client share one connection cache (keep-alive), one cookie jar
/// and one thread. Any number of requests may be in flight; cancelling the calling task
/// aborts its request at once. Create one client per GWS session so that cookies (for
/// example `BAYEUX_BROWSER`) are never shared between two Bayeux sessions.
public final class CurlHTTPClient: HTTPClient {
    private let loop: CurlLoop
    public let configuration: CurlConfiguration

    /// Starts the client's thread. Returns `nil` only if libcurl cannot allocate handles.
    public init?(configuration: CurlConfiguration = CurlConfiguration()) {
        guard let loop = CurlLoop(configuration: configuration) else { return nil }
        self.loop = loop
        self.configuration = configuration
    }

    deinit {
        loop.stop()
    }

    public func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        if Task.isCancelled { throw .cancelled }
        let transfer = CurlTransfer(request: request, limit: configuration.maxResponseSize)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        return try result.get()
    }

    public func clearCookies() async {
        await loop.clearCookies()
    }

    /// Stops the thread now; later requests fail with ``TransportError/shutDown``.
    public func shutdown() {
        loop.stop()
    }

    /// The libcurl version string, for logs.
    public static var libraryVersion: String { String(cString: curl_version()) }
}
