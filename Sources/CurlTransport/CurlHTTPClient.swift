import CCurl
import HTTPTransport
import Locking

/// An ``HTTPClient`` backed by libcurl's multi interface.
///
/// Each client has its own cookie jar, DNS cache and TLS session cache, so cookies (for
/// example `BAYEUX_BROWSER`) are never shared between two Bayeux sessions: create one
/// client per GWS session. Any number of requests may be in flight; cancelling the
/// calling task aborts its request at once.
///
/// A client created on the executor thread of `gws-agentd run` shares that thread's
/// libcurl loop (and its kept-alive connections) with the other clients created there;
/// anywhere else it starts a thread of its own.
public final class CurlHTTPClient: HTTPClient {
    private let loop: CurlLoop
    private let ownsLoop: Bool
    private let share: CurlShare
    private let isShutDown = Locked(false)
    public let configuration: CurlConfiguration

    /// Returns `nil` only if libcurl cannot allocate its handles.
    public convenience init?(configuration: CurlConfiguration = CurlConfiguration()) {
        if let shared = CurlLoop.forExecutor() {
            self.init(configuration: configuration, sharing: shared)
            return
        }
        guard let share = CurlShare(), let own = CurlLoop() else { return nil }
        self.init(configuration: configuration, loop: own, ownsLoop: true, share: share)
    }

    /// A client on an existing loop it does not own (the executor's, or a test's).
    convenience init?(configuration: CurlConfiguration, sharing loop: CurlLoop) {
        guard let share = CurlShare() else { return nil }
        self.init(configuration: configuration, loop: loop, ownsLoop: false, share: share)
    }

    private init(configuration: CurlConfiguration, loop: CurlLoop, ownsLoop: Bool, share: CurlShare) {
        self.configuration = configuration
        self.loop = loop
        self.ownsLoop = ownsLoop
        self.share = share
    }

    deinit {
        shutdown()
    }

    public func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let transfer = CurlTransfer(request: request, configuration: configuration, share: share)
        let result = await run(transfer)
        if case .failure(.tls) = result, var diagnosis = transfer.diagnosis, diagnosis.wantsCertificate {
            diagnosis.certificate = await readCertificate(request.url)
            throw .tls(diagnosis.description)
        }
        return try result.get()
    }

    /// The certificate the server at `url` presents, read in a handshake that verifies
    /// nothing and sends nothing (for a diagnosis only); `nil` when it cannot be read.
    func readCertificate(_ url: String) async -> PeerCertificate? {
        let probe = CurlTransfer(
            request: HTTPRequest(method: .get, url: url, timeout: configuration.connectTimeout),
            configuration: configuration, share: share, purpose: .certificateProbe)
        guard case .success = await run(probe), !probe.certificateFields.isEmpty else { return nil }
        return PeerCertificate(fields: probe.certificateFields)
    }

    /// Runs one transfer on the loop; cancelling the calling task aborts it.
    private func run(_ transfer: CurlTransfer) async -> Result<HTTPResponse, TransportError> {
        if Task.isCancelled { return .failure(.cancelled) }
        if isShutDown.withLock({ $0 }) { return .failure(.shutDown) }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    public func clearCookies() async {
        await loop.clearCookies(of: share)
    }

    /// Fails the requests in flight and every later one with ``TransportError/shutDown``,
    /// and stops the client's thread if it has one.
    public func shutdown() {
        let already = isShutDown.withLock { shutDown in
            defer { shutDown = true }
            return shutDown
        }
        guard !already else { return }
        if ownsLoop { loop.stop() } else { loop.close(share) }
    }

    /// The libcurl version string, for logs.
    public static var libraryVersion: String { String(cString: curl_version()) }
}
