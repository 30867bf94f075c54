import CCurl
import HTTPTransport

/// One client's libcurl share handle: its cookie jar, DNS cache, TLS session cache and
/// connection pool; and the easy handle its last finished request left set up for it.
///
/// The pool is the client's own rather than the loop's: with one pool for every client,
/// libcurl scans every open connection of every client for each new request (1,000 agents'
/// held long polls made that most of the daemon's idle CPU), and a client's requests only
/// ever go to its own server anyway. Its keep-alive connections are reused as before.
///
/// Ownership rule (why this is `@unchecked Sendable`): the handle is created with the
/// client and used only on the loop's thread (attached to the client's easy handles, and
/// emptied there). Every transfer holds the share until its easy handle is freed, so when
/// the last reference goes, whichever thread that is, no handle uses the share and
/// `curl_share_cleanup` is safe. All of a share's handles run on one thread, so it needs
/// no lock callbacks. `closed` is read and written under the loop's inbox lock. `idle` is
/// the loop thread's (the loop hands it out and takes it back), and `deinit` frees it
/// before the share, which its handle uses.
final class CurlShare: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    /// Its client shut down. Guarded by the inbox lock of the loop the client uses.
    var closed = false
    /// A finished request's easy handle, kept for the client's next request. One at most,
    /// and only when no other request of the client is in flight: an agent's long poll
    /// follows the one before, and a REST call made beside a held poll would otherwise
    /// leave its handle idle, with its buffers, until the poll ends (10,000 agents' resyncs:
    /// 69 MB).
    private var idle: CurlReusableHandle?
    /// The client's requests on the loop now. On the loop's thread only.
    var inFlight = 0

    init?() {
        guard let handle = curl_share_init() else { return nil }
        self.handle = handle
        _ = gws_share_setopt_long(handle, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_COOKIE.rawValue))
        _ = gws_share_setopt_long(handle, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_DNS.rawValue))
        _ = gws_share_setopt_long(handle, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
        _ = gws_share_setopt_long(handle, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_CONNECT.rawValue))
    }

    deinit {
        idle?.free()
        curl_share_cleanup(handle)
    }

    /// The kept easy handle, if any, for a new request. On the loop's thread only.
    func takeIdleHandle() -> CurlReusableHandle? {
        defer { idle = nil }
        return idle
    }

    /// Keeps `reusable` for the next request, or frees it when one is kept already or
    /// another request of the client is in flight (its handle comes back when it ends).
    /// On the loop's thread only.
    func keep(_ reusable: CurlReusableHandle) {
        if idle == nil, inFlight == 0 { idle = reusable } else { reusable.free() }
    }

    /// Empties the cookie jar. On the loop's thread only.
    func emptyCookieJar() {
        guard let easy = curl_easy_init() else { return }
        _ = gws_easy_setopt_ptr(easy, CURLOPT_SHARE, UnsafeRawPointer(handle))
        _ = "ALL".withCString { gws_easy_setopt_ptr(easy, CURLOPT_COOKIELIST, $0) }
        curl_easy_cleanup(easy)
    }
}

/// An easy handle with the client's settings applied, and the header list it last sent
/// (kept with it, since the handle points at it, and reused when the next request's
/// headers are the same).
struct CurlReusableHandle {
    let easy: UnsafeMutableRawPointer
    let headerList: UnsafeMutablePointer<curl_slist>?
    let headers: [HTTPHeader]

    /// Frees the handle and its header list.
    func free() {
        curl_easy_cleanup(easy)
        if let headerList { curl_slist_free_all(headerList) }
    }
}
