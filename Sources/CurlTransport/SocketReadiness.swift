import CCurl
import Glibc

/// What the loop thread waits on: an epoll instance holding exactly the sockets libcurl
/// asks to watch (`CURLMOPT_SOCKETFUNCTION`), an eventfd that other threads write to wake
/// it, and libcurl's one timer (`CURLMOPT_TIMERFUNCTION`).
///
/// With it the loop does work in proportion to what happened, not to how many transfers
/// are open: `curl_multi_socket_action` on the sockets that are ready, where
/// `curl_multi_perform` and `curl_multi_poll` visit every transfer at every wake-up (1,000
/// held long polls made that the daemon's main cost).
///
/// Ownership rule (why this is `@unchecked Sendable`): both descriptors are opened in
/// `init` and closed in `deinit`; `watched` and `timerDeadline` are touched only on the
/// loop's thread (inside libcurl's callbacks, which run there, and in ``wait(upTo:)``);
/// ``wake()`` only writes to the eventfd, which any thread may do.
final class SocketReadiness: @unchecked Sendable {
    private let epoll: Int32
    private let wakeup: Int32
    /// The sockets in the epoll set.
    private var watched: Set<Int32> = []
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` handled (monotonic nanoseconds); `nil`: never.
    private(set) var timerDeadline: UInt64?
    /// `epoll_wait`'s results, reused by every wait.
    private var sockets = [Int32](repeating: 0, count: 256)
    private var masks = [Int32](repeating: 0, count: 256)

    init?() {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { return nil }
        let wakeup = gws_wakeup_eventfd()
        guard wakeup >= 0, gws_epoll_watch(epoll, wakeup, 1, 0, 0) == 0 else {
            if wakeup >= 0 { close(wakeup) }
            close(epoll)
            return nil
        }
        self.epoll = epoll
        self.wakeup = wakeup
    }

    deinit {
        close(wakeup)
        close(epoll)
    }

    /// libcurl's socket callback: watch `socket` for `what` (`CURL_POLL_*`).
    func watch(_ socket: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            if watched.remove(socket) != nil { _ = gws_epoll_watch(epoll, socket, 0, 0, 1) }
            return
        }
        let input: Int32 = what == CURL_POLL_IN || what == CURL_POLL_INOUT ? 1 : 0
        let output: Int32 = what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? 1 : 0
        let known = watched.contains(socket)
        if gws_epoll_watch(epoll, socket, input, output, known ? 1 : 0) == 0 {
            watched.insert(socket)
        } else if errno == ENOENT || errno == EEXIST {
            // A descriptor closed and reused behind libcurl's back: register it afresh.
            if gws_epoll_watch(epoll, socket, input, output, known ? 0 : 1) == 0 { watched.insert(socket) }
        }
    }

    /// libcurl's timer callback: `milliseconds` from now, or never (-1).
    func setTimer(milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : Self.now() + UInt64(milliseconds) * 1_000_000
    }

    /// Whether libcurl's timer is due.
    var timerDue: Bool { timerDeadline.map { $0 <= Self.now() } ?? false }

    /// Wakes a thread in ``wait(upTo:)`` (or makes its next wait return at once).
    func wake() {
        var one: UInt64 = 1
        _ = write(wakeup, &one, 8)
    }

    /// Waits until a watched socket is ready, a wake-up, libcurl's timer, or `timeout`
    /// milliseconds (0: just look; -1: no limit but the timer), then calls `ready` with
    /// each ready socket and its `CURL_CSELECT_*` mask (the wake-up is drained, not passed).
    /// Returns when the wait ended (CLOCK_MONOTONIC nanoseconds): what follows is work.
    @discardableResult
    func wait(upTo timeout: Int32, _ ready: (_ socket: Int32, _ mask: Int32) -> Void) -> UInt64 {
        var limit = timeout
        if let deadline = timerDeadline {
            let now = Self.now()
            let remaining = deadline > now ? Int32(min((deadline - now + 999_999) / 1_000_000, 1_000_000)) : 0
            limit = limit < 0 ? remaining : min(limit, remaining)
        }
        let count = gws_epoll_wait(epoll, &sockets, &masks, Int32(sockets.count), limit)
        let woke = Self.now()
        guard count > 0 else { return woke }
        for index in 0..<Int(count) {
            if sockets[index] == wakeup {
                var value: UInt64 = 0
                _ = read(wakeup, &value, 8)
            } else {
                ready(sockets[index], masks[index])
            }
        }
        return woke
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
