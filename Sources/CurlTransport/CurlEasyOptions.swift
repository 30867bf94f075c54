import CCurl
import HTTPTransport

/// Sets up easy handles: once per handle for what every request of a client shares
/// (``applyClientSettings(to:configuration:share:)``), and per request for the rest
/// (``applyRequest(to:transfer:)``). A client's finished request leaves its handle to the
/// next one (``CurlShare/keep(_:)``), so a long-poll cycle sets a handful of options
/// instead of building a handle from nothing.
enum CurlEasyOptions {
    /// The client's settings: connection, TLS, proxy, cookies, callbacks. Everything
    /// here is the same for every request of one client.
    static func applyClientSettings(
        to easy: UnsafeMutableRawPointer, configuration: CurlConfiguration, share: CurlShare
    ) {
        setLong(easy, CURLOPT_NOSIGNAL, 1)
        setLong(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(configuration.connectTimeout.wholeMilliseconds)))
        setLong(easy, CURLOPT_TCP_KEEPALIVE, 1)
        setLong(easy, CURLOPT_TCP_KEEPIDLE, 30)
        setLong(easy, CURLOPT_TCP_KEEPINTVL, 15)
        _ = gws_easy_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(configuration.maxResponseSize))
        _ = gws_easy_setopt_ptr(easy, CURLOPT_SHARE, UnsafeRawPointer(share.handle))
        setString(easy, CURLOPT_COOKIEFILE, "")
        setString(easy, CURLOPT_USERAGENT, configuration.userAgent)
        _ = gws_easy_setopt_data_cb(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = gws_easy_setopt_data_cb(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback)

        setLong(easy, CURLOPT_SSL_VERIFYPEER, configuration.tlsVerify ? 1 : 0)
        setLong(easy, CURLOPT_SSL_VERIFYHOST, configuration.tlsVerify ? 2 : 0)
        if let ca = configuration.caFile { setString(easy, CURLOPT_CAINFO, ca) }
        // Trust the CA bundle alone (`server.ca_file`, or libcurl's default bundle), never the
        // certificate directory Debian's libcurl also searches (`/etc/ssl/certs`). With a
        // directory, `server.ca_file` would not replace the system's CAs but add to them, and
        // libcurl would build the certificate store again for every new connection (it keeps
        // a store for the multi handle only when it comes from a bundle alone): at 1,000
        // agents over TLS with a 140-CA bundle that was 100 ms of CPU and 1 MB per connection.
        _ = gws_easy_setopt_ptr(easy, CURLOPT_CAPATH, nil)
        setLong(easy, CURLOPT_CA_CACHE_TIMEOUT, configuration.caStoreLifetime.map { Int($0.components.seconds) } ?? -1)
        if let cert = configuration.clientCertificateFile { setString(easy, CURLOPT_SSLCERT, cert) }
        if let key = configuration.clientKeyFile { setString(easy, CURLOPT_SSLKEY, key) }
        if let proxy = configuration.proxy { setString(easy, CURLOPT_PROXY, proxy) }
    }

    /// What differs from one request to the next: the URL, the deadline, the transfer the
    /// callbacks write to, the method, the body and the header list (rebuilt only when
    /// the headers differ from those the handle last sent).
    static func applyRequest(to easy: UnsafeMutableRawPointer, transfer: CurlTransfer) {
        let request = transfer.request
        // The callbacks get the transfer as user data; the reference taken here is
        // released by the loop when the handle leaves the multi handle.
        let userdata = Unmanaged.passRetained(transfer).toOpaque()
        setString(easy, CURLOPT_URL, request.url)
        _ = gws_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, UnsafeRawPointer(transfer.errorBuffer))
        setLong(easy, CURLOPT_TIMEOUT_MS, max(1, Int(request.timeout.wholeMilliseconds)))
        _ = gws_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, userdata)
        _ = gws_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, userdata)
        if transfer.purpose == .certificateProbe {
            // Only the handshake: nothing is sent, so no credential or cookie can leak to a
            // server whose certificate did not verify. A probe's handle is never reused.
            setLong(easy, CURLOPT_CONNECT_ONLY, 1)
            setLong(easy, CURLOPT_SSL_VERIFYPEER, 0)
            setLong(easy, CURLOPT_SSL_VERIFYHOST, 0)
            setLong(easy, CURLOPT_CERTINFO, 1)
            return
        }

        switch request.method {
        case .get:
            setLong(easy, CURLOPT_HTTPGET, 1)
        case .post:
            setLong(easy, CURLOPT_POST, 1)
            _ = gws_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            request.body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies the body, so the buffer need not outlive this call.
                _ = gws_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress ?? UnsafeRawPointer(userdata))
            }
        }
        if transfer.headerList != nil, transfer.headerListSource == request.headers { return }
        if let old = transfer.headerList { curl_slist_free_all(old) }
        var list: UnsafeMutablePointer<curl_slist>?
        // An empty Expect stops libcurl from waiting for `100 Continue` on larger POSTs.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            list = line.withCString { curl_slist_append(list, $0) }
        }
        transfer.headerList = list
        transfer.headerListSource = request.headers
        _ = gws_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, UnsafeRawPointer(list))
    }

    private static func setLong(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) {
        _ = gws_easy_setopt_long(easy, option, value)
    }

    /// libcurl copies string options (since 7.17), so a temporary C string is enough.
    private static func setString(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String) {
        _ = value.withCString { gws_easy_setopt_ptr(easy, option, $0) }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
