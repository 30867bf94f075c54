/// Where a clock's time comes from: real time in the programs, time that moves only when a
/// test moves it in the tests (`TestSupport`'s `ManualTime`).
///
/// Instants are `ContinuousClock` instants either way, so that code taking an
/// ``InjectedClock`` needs no generics and mixes freely with `ContinuousClock.now` where
/// real time is what it means (a log line's timing, say).
public protocol TimeSource: Sendable {
    /// The current instant.
    var now: ContinuousClock.Instant { get }
    /// Returns at `deadline` (at once when it has passed); throws `CancellationError`
    /// when the calling task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

/// Real time, as `ContinuousClock` keeps it.
public struct SystemTime: TimeSource {
    public init() {}

    public var now: ContinuousClock.Instant { ContinuousClock.now }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await ContinuousClock().sleep(until: deadline, tolerance: nil)
    }
}
