import CCurl
import CSerialExecutor
import Foundation
import HTTPTransport
import Locking

/// The one thread that owns a libcurl multi handle and every easy handle on it, and
/// drives the multi interface for one or more clients.
///
/// That thread is either the loop's own (one loop per client), or, in a process that made
/// one thread its Swift executor (`gws-agentd run`), that executor thread or one of the
/// daemon's shard threads (``CurlExecutor``), which then serves one loop for all the
/// clients created on it (see `CurlLoop+Executor.swift`).
///
/// Ownership rule (why this is `@unchecked Sendable`): the multi handle is created in
/// `init`, driven only on the loop's thread, and freed in `deinit`, when no thread can
/// reach the loop any more; every easy handle and `active` live only on the loop's
/// thread. Other threads reach the loop only through `inbox` (a `Locked`) followed
/// by a write to the readiness's eventfd (``SocketReadiness/wake()``), which stays valid
/// on a stopped loop until `deinit`.
final class CurlLoop: @unchecked Sendable {
    /// Work handed to the loop thread.
    struct Inbox {
        var adds: [CurlTransfer] = []
        var cancels: [CurlTransfer] = []
        var clearCookies: [(share: CurlShare, done: CheckedContinuation<Void, Never>)] = []
        /// A client shut down (its share is marked `closed`): its transfers in flight
        /// fail with `shutDown`.
        var sharesClosed = false
        var stopping = false

        /// Whether the loop has anything to take from here.
        var hasWork: Bool {
            !adds.isEmpty || !cancels.isEmpty || !clearCookies.isEmpty || sharesClosed || stopping
        }
    }

    let inbox = Locked(Inbox())
    let multi: UnsafeMutableRawPointer
    /// The sockets and timer libcurl asks the loop to watch, and the wake-up.
    let readiness: SocketReadiness
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Easy handles made and reused since the loop started; written on the loop's thread.
    private let handleCounts = Locked((created: 0, reused: 0))

    /// How many easy handles the loop has made, and how many requests reused one.
    var easyHandles: (created: Int, reused: Int) { handleCounts.withLock { $0 } }

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    /// Which thread drives a loop.
    enum Driver {
        /// A thread the loop starts for itself.
        case ownThread
        /// The process's serial executor thread (call `init` on it).
        case serialExecutor
        /// A ``CurlExecutor``'s thread, which serves the loop between its jobs.
        case shard
    }

    /// A loop on a thread of its own, or driven by an executor thread. `nil` when libcurl
    /// cannot allocate the multi handle or the serial executor is taken.
    init?(drivenBy driver: Driver = .ownThread) {
        _ = Self.globalInit
        guard let readiness = SocketReadiness() else { return nil }
        guard let multi = curl_multi_init() else { return nil }
        self.multi = multi
        self.readiness = readiness
        // libcurl calls these on the loop's thread, from inside its multi calls; the
        // readiness lives as long as the multi handle (both go in `deinit`).
        let context = Unmanaged.passUnretained(readiness).toOpaque()
        _ = gws_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, context)
        _ = gws_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, context)
        _ = gws_multi_setopt_socket_cb(multi) { _, socket, what, context, _ in
            guard let context else { return 0 }
            Unmanaged<SocketReadiness>.fromOpaque(context).takeUnretainedValue().watch(socket, what: what)
            return 0
        }
        _ = gws_multi_setopt_timer_cb(multi) { _, milliseconds, context in
            guard let context else { return 0 }
            Unmanaged<SocketReadiness>.fromOpaque(context).takeUnretainedValue().setTimer(
                milliseconds: Int(milliseconds))
            return 0
        }
        // A client keeps one connection once its requests are done (its pool is its
        // share's, see CurlShare): the long poll's. A REST call made meanwhile opens a
        // second, closed when it is done, rather than one idle connection per agent at GWS.
        _ = gws_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 1)
        switch driver {
        case .serialExecutor:
            // On failure `deinit` frees the multi handle.
            guard attachToExecutor() else { return nil }
            return
        case .shard:
            return
        case .ownThread:
            break
        }
        // The running thread keeps the loop alive until `run` returns; nothing else holds
        // the Thread, so no cycle outlives a stopped loop.
        let thread = Thread { [self] in
            gws_set_current_thread_name("curl-loop")
            self.run()
        }
        thread.start()
    }

    /// Asks the loop to start `transfer` (or to fail it at once if already cancelled).
    func submit(_ transfer: CurlTransfer) {
        let stopping = inbox.withLock { inbox in
            if !inbox.stopping { inbox.adds.append(transfer) }
            return inbox.stopping
        }
        if stopping { transfer.finish(.failure(.shutDown)) } else { wakeUp() }
    }

    /// Asks the loop to abort `transfer`; safe before, during and after it runs.
    func cancel(_ transfer: CurlTransfer) {
        inbox.withLock { inbox in
            transfer.cancelled = true
            inbox.cancels.append(transfer)
        }
        wakeUp()
    }

    /// Empties `share`'s cookie jar, on the loop thread.
    func clearCookies(of share: CurlShare) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stopping = inbox.withLock { inbox in
                if !inbox.stopping { inbox.clearCookies.append((share, continuation)) }
                return inbox.stopping
            }
            if stopping { continuation.resume() } else { wakeUp() }
        }
    }

    /// Fails the transfers in flight that use `share` (a client shutting down) with
    /// ``TransportError/shutDown``.
    func close(_ share: CurlShare) {
        inbox.withLock { inbox in
            share.closed = true
            inbox.sharesClosed = true
        }
        wakeUp()
    }

    /// Stops the loop; in-flight requests fail with ``TransportError/shutDown``.
    func stop() {
        inbox.withLock { $0.stopping = true }
        wakeUp()
    }

    /// Wakes the loop's thread, unless this is that thread (which looks at the inbox
    /// before it next waits).
    private func wakeUp() {
        if gws_thread_served_loop() == Unmanaged.passUnretained(self).toOpaque() { return }
        readiness.wake()
    }

    /// The loop's own thread: turns until stopped.
    private func run() {
        while turn() {
            act(waitingUpTo: 1000)
        }
        finishStopping()
    }

    /// Waits up to `timeout` milliseconds (0: not at all) for a socket, libcurl's timer or
    /// a wake-up; lets libcurl work on exactly the sockets that are ready and on its timer;
    /// finishes what completed. Returns when the wait ended (``SocketReadiness/now()``).
    ///
    /// It never blocks while the inbox holds work: a look without waiting (`turn`'s) drains
    /// the wake-up of work queued after that turn took the inbox, and blocking then would
    /// leave the work waiting for the timeout (a second, one request in fifteen in a test).
    @discardableResult
    func act(waitingUpTo timeout: Int32) -> UInt64 {
        var running: Int32 = 0
        let limit = timeout != 0 && inbox.withLock({ $0.hasWork }) ? 0 : timeout
        let woke = readiness.wait(upTo: limit) { socket, mask in
            _ = curl_multi_socket_action(multi, socket, mask, &running)
        }
        runTimerIfDue()
        collectFinished()
        return woke
    }

    /// Lets libcurl handle its timer when it is due (timeouts, and transfers just added).
    private func runTimerIfDue() {
        guard readiness.timerDue else { return }
        var running: Int32 = 0
        _ = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
    }

    /// Takes the inbox, starts and aborts transfers, lets libcurl work (on the sockets that
    /// are ready now, unless `polling` is false because the caller just waited for them),
    /// and finishes what completed. Returns false once asked to stop.
    func turn(polling: Bool = true) -> Bool {
        let work = inbox.withLock { inbox -> Inbox in
            let taken = inbox
            inbox.adds = []
            inbox.cancels = []
            inbox.clearCookies = []
            inbox.sharesClosed = false
            return taken
        }
        if work.stopping {
            for request in work.clearCookies { request.done.resume() }
            for transfer in work.adds { transfer.finish(.failure(.shutDown)) }
            return false
        }
        for transfer in work.adds { start(transfer) }
        for transfer in work.cancels { abort(transfer, with: .cancelled) }
        if work.sharesClosed {
            let closing = inbox.withLock { _ in active.values.filter { $0.share.closed } }
            for transfer in closing { abort(transfer, with: .shutDown) }
        }
        for request in work.clearCookies {
            request.share.emptyCookieJar()
            request.done.resume()
        }
        if polling {
            act(waitingUpTo: 0)
        } else {
            // New transfers set libcurl's timer to now: start them.
            runTimerIfDue()
            collectFinished()
        }
        return true
    }

    /// Fails what is still in flight and frees every easy handle. The multi handle stays
    /// until `deinit`: a late `cancel` may still wake it.
    private func finishStopping() {
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            release(transfer)
            transfer.finish(.failure(.shutDown))
        }
        active = [:]
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    private func start(_ transfer: CurlTransfer) {
        let (cancelled, closed) = inbox.withLock { _ in (transfer.cancelled, transfer.share.closed) }
        guard !cancelled, !closed else {
            transfer.finish(.failure(cancelled ? .cancelled : .shutDown))
            return
        }
        let easy: UnsafeMutableRawPointer
        if transfer.purpose == .request, let kept = transfer.share.takeIdleHandle() {
            easy = kept.easy
            transfer.headerList = kept.headerList
            transfer.headerListSource = kept.headers
            handleCounts.withLock { $0.reused += 1 }
        } else {
            guard let fresh = curl_easy_init() else {
                transfer.finish(.failure(.other("curl_easy_init failed")))
                return
            }
            easy = fresh
            CurlEasyOptions.applyClientSettings(to: easy, configuration: transfer.configuration, share: transfer.share)
            handleCounts.withLock { $0.created += 1 }
        }
        transfer.easy = easy
        transfer.share.inFlight += 1
        CurlEasyOptions.applyRequest(to: easy, transfer: transfer)
        active[easy] = transfer
        if curl_multi_add_handle(multi, easy) != CURLM_OK {
            active[easy] = nil
            release(transfer)
            transfer.finish(.failure(.other("curl_multi_add_handle failed")))
        }
    }

    private func abort(_ transfer: CurlTransfer, with error: TransportError) {
        guard let easy = transfer.easy, active.removeValue(forKey: easy) != nil else { return }
        curl_multi_remove_handle(multi, easy)
        release(transfer)
        transfer.finish(.failure(error))
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
            if transfer.purpose == .certificateProbe, code == CURLE_OK {
                transfer.certificateFields = Self.serverCertificateFields(easy)
            }
            curl_multi_remove_handle(multi, easy)
            release(transfer, reusable: code == CURLE_OK && transfer.purpose == .request)
            if code == CURLE_OK {
                transfer.finish(.success(HTTPResponse(status: status, headers: transfer.headers, body: transfer.body)))
            } else {
                let (error, diagnosis) = TransportError.from(
                    code: code, specific: transfer.specificError, endpoint: transfer.endpoint,
                    exceededLimit: transfer.exceededLimit, limit: transfer.limit)
                transfer.diagnosis = diagnosis
                transfer.finish(.failure(error))
            }
        }
    }

    /// The information lines of the server's own certificate (the first of the chain),
    /// at most 64 of them; read before the easy handle is freed.
    private static func serverCertificateFields(_ easy: UnsafeMutableRawPointer) -> [String] {
        var info: UnsafeMutablePointer<curl_certinfo>?
        guard gws_easy_getinfo_certinfo(easy, &info) == CURLE_OK, let info, info.pointee.num_of_certs > 0,
            let chain = info.pointee.certinfo
        else { return [] }
        var fields: [String] = []
        var item = chain[0]
        while let node = item, fields.count < 64 {
            if let data = node.pointee.data { fields.append(String(cString: data)) }
            item = node.pointee.next
        }
        return fields
    }

    /// Hands the easy handle and header list of a transfer that left the multi handle to
    /// its client's next request when `reusable` (a request that succeeded), or frees them;
    /// drops the reference the callbacks were holding.
    private func release(_ transfer: CurlTransfer, reusable: Bool = false) {
        if let easy = transfer.easy {
            transfer.share.inFlight -= 1
            let handle = CurlReusableHandle(
                easy: easy, headerList: transfer.headerList, headers: transfer.headerListSource)
            if reusable {
                // Nothing of this transfer may stay reachable from the kept handle: its
                // error buffer goes with it, and the callbacks' user data with the reference.
                _ = gws_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, nil)
                _ = gws_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, nil)
                _ = gws_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, nil)
                transfer.share.keep(handle)
            } else {
                handle.free()
            }
        }
        transfer.easy = nil
        transfer.headerList = nil
        Unmanaged.passUnretained(transfer).release()
    }
}
