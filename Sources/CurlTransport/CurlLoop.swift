import CCurl
import Foundation
import HTTPTransport
import Synchronization

/// The thread that owns every libcurl handle and drives the multi interface.
///
/// Ownership rule (why this is `@unchecked Sendable`): the multi handle, the share handle
/// and every easy handle are created, used and freed only on the loop's own thread. Other threads
/// reach the loop only through `inbox` (a `Mutex`) followed by `curl_multi_wakeup`, which
/// libcurl documents as callable from any thread.
final class CurlLoop: @unchecked Sendable {
    /// Work handed to the loop thread.
    struct Inbox {
        var adds: [CurlTransfer] = []
        var cancels: [CurlTransfer] = []
        var clearCookies: [CheckedContinuation<Void, Never>] = []
        var stopping = false
    }

    let configuration: CurlConfiguration
    let inbox = Mutex(Inbox())
    private let multi: UnsafeMutableRawPointer
    private let share: UnsafeMutableRawPointer
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    init?(configuration: CurlConfiguration) {
        _ = Self.globalInit
        guard let multi = curl_multi_init(), let share = curl_share_init() else { return nil }
        self.configuration = configuration
        self.multi = multi
        self.share = share
        // One jar, DNS cache and TLS session cache for every request of this client. All
        // handles run on one thread, so the share needs no lock callbacks.
        _ = gws_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_COOKIE.rawValue))
        _ = gws_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_DNS.rawValue))
        _ = gws_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
        // The running thread keeps the loop alive until `run` returns; nothing else holds
        // the Thread, so no cycle outlives a stopped loop.
        let thread = Thread { [self] in self.run() }
        thread.name = "curl-loop"
        thread.start()
    }

    /// Asks the loop to start `transfer` (or to fail it at once if already cancelled).
    func submit(_ transfer: CurlTransfer) {
        let stopping = inbox.withLock { inbox in
            if !inbox.stopping { inbox.adds.append(transfer) }
            return inbox.stopping
        }
        if stopping { transfer.finish(.failure(.shutDown)) } else { curl_multi_wakeup(multi) }
    }

    /// Asks the loop to abort `transfer`; safe before, during and after it runs.
    func cancel(_ transfer: CurlTransfer) {
        inbox.withLock { inbox in
            transfer.cancelled = true
            inbox.cancels.append(transfer)
        }
        curl_multi_wakeup(multi)
    }

    /// Empties the shared cookie jar, on the loop thread.
    func clearCookies() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stopping = inbox.withLock { inbox in
                if !inbox.stopping { inbox.clearCookies.append(continuation) }
                return inbox.stopping
            }
            if stopping { continuation.resume() } else { curl_multi_wakeup(multi) }
        }
    }

    /// Stops the thread; in-flight requests fail with ``TransportError/shutDown``.
    func stop() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi)
    }

    private func run() {
        var stillRunning: Int32 = 0
        while true {
            let work = inbox.withLock { inbox -> Inbox in
                let taken = inbox
                inbox.adds = []
                inbox.cancels = []
                inbox.clearCookies = []
                return taken
            }
            if work.stopping {
                for continuation in work.clearCookies { continuation.resume() }
                for transfer in work.adds { transfer.finish(.failure(.shutDown)) }
                break
            }
            for transfer in work.adds { start(transfer) }
            for transfer in work.cancels { abort(transfer) }
            if !work.clearCookies.isEmpty {
                emptyCookieJar()
                for continuation in work.clearCookies { continuation.resume() }
            }
            _ = curl_multi_perform(multi, &stillRunning)
            collectFinished()
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            release(transfer)
            transfer.finish(.failure(.shutDown))
        }
        active = [:]
        curl_multi_cleanup(multi)
        curl_share_cleanup(share)
    }

    private func start(_ transfer: CurlTransfer) {
        let cancelled = inbox.withLock { _ in transfer.cancelled }
        guard !cancelled else {
            transfer.finish(.failure(.cancelled))
            return
        }
        guard let easy = curl_easy_init() else {
            transfer.finish(.failure(.other("curl_easy_init failed")))
            return
        }
        transfer.easy = easy
        CurlEasyOptions.apply(to: easy, transfer: transfer, configuration: configuration, share: share)
        active[easy] = transfer
        if curl_multi_add_handle(multi, easy) != CURLM_OK {
            active[easy] = nil
            release(transfer)
            transfer.finish(.failure(.other("curl_multi_add_handle failed")))
        }
    }

    private func abort(_ transfer: CurlTransfer) {
        guard let easy = transfer.easy, active.removeValue(forKey: easy) != nil else { return }
        curl_multi_remove_handle(multi, easy)
        release(transfer)
        transfer.finish(.failure(.cancelled))
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                let transfer = active.removeValue(forKey: easy)
            else { continue }
            let code = message.pointee.data.result
            var status = 0
            _ = gws_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            curl_multi_remove_handle(multi, easy)
            release(transfer)
            if code == CURLE_OK {
                transfer.finish(.success(HTTPResponse(status: status, headers: transfer.headers, body: transfer.body)))
            } else {
                transfer.finish(
                    .failure(.from(code: code, exceededLimit: transfer.exceededLimit, limit: transfer.limit)))
            }
        }
    }

    /// Frees the easy handle and header list of a transfer that left the multi handle,
    /// and drops the reference the callbacks were holding.
    private func release(_ transfer: CurlTransfer) {
        if let easy = transfer.easy { curl_easy_cleanup(easy) }
        if let list = transfer.headerList { curl_slist_free_all(list) }
        transfer.easy = nil
        transfer.headerList = nil
        Unmanaged.passUnretained(transfer).release()
    }

    private func emptyCookieJar() {
        guard let easy = curl_easy_init() else { return }
        _ = gws_easy_setopt_ptr(easy, CURLOPT_SHARE, UnsafeRawPointer(share))
        _ = "ALL".withCString { gws_easy_setopt_ptr(easy, CURLOPT_COOKIELIST, $0) }
        curl_easy_cleanup(easy)
    }
}
