/// Performs HTTP requests over one shared cookie jar.
///
/// Implementations must allow at least two requests in flight at once (the parked long
/// poll plus everything else), abort a request as soon as its task is cancelled, and
/// keep one cookie jar for all requests until ``clearCookies()``.
public protocol HTTPClient: Sendable {
    /// Performs `request` and returns the complete response, whatever its status.
    func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
    /// Forgets every cookie (session teardown).
    func clearCookies() async
    /// Ends the client: requests in flight and every later one fail with
    /// ``TransportError/shutDown``. Calling it again does nothing.
    func shutdown()
}
