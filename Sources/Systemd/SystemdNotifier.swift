import CSystemd
import Glibc

/// Sends service state to systemd over `$NOTIFY_SOCKET` (sd_notify(3)).
///
/// Outside systemd (no `$NOTIFY_SOCKET`) every call is a no-op that reports `false`, so
/// the same binary runs by hand.
public struct SystemdNotifier: Sendable {
    /// Where messages go instead of systemd (in-process tests read them there).
    private let sink: (@Sendable (String) -> Void)?

    public init() { sink = nil }

    /// A notifier that hands every message (`KEY=VALUE` lines) to `sink` instead of systemd.
    public init(sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    /// Whether a notification socket is configured.
    public var isEnabled: Bool { sink != nil || getenv("NOTIFY_SOCKET") != nil }

    /// Sends `KEY=VALUE` assignments in one datagram, in order. Newlines inside values
    /// are replaced by spaces, since systemd reads one assignment per line.
    /// - Returns: whether systemd was notified.
    @discardableResult
    public func send(_ assignments: KeyValuePairs<String, String>) -> Bool {
        let text = assignments.map { key, value in
            "\(key)=\(value.map { $0.isNewline ? " " : $0 }.reduce(into: "") { $0.append($1) })"
        }.joined(separator: "\n")
        if let sink {
            sink(text)
            return true
        }
        return gws_sd_notify(0, text) > 0
    }

    /// `READY=1`, with an optional status line.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        if let status { return send(["READY": "1", "STATUS": status]) }
        return send(["READY": "1"])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC` so newer managers can match the reload cycle.
    @discardableResult
    public func reloading() -> Bool {
        send(["RELOADING": "1", "MONOTONIC_USEC": String(Self.monotonicMicroseconds())])
    }

    /// `STOPPING=1`.
    @discardableResult
    public func stopping() -> Bool { send(["STOPPING": "1"]) }

    /// `WATCHDOG=1`.
    @discardableResult
    public func watchdog() -> Bool { send(["WATCHDOG": "1"]) }

    /// The watchdog timeout systemd set for this process (`$WATCHDOG_USEC`, checked
    /// against `$WATCHDOG_PID`), or `nil` when the watchdog is off.
    public static func watchdogTimeout() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }

    /// `CLOCK_MONOTONIC` in microseconds: the clock systemd's `MONOTONIC_USEC` means
    /// (Swift's `ContinuousClock` reads `CLOCK_BOOTTIME` on Linux, so it cannot be used).
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
