/// A `Clock` whose time comes from a ``TimeSource`` chosen by whoever builds the program:
/// every timer, backoff, deadline and progress stamp of the daemon and the simulator runs
/// on one, so that tests can drive them on time of their own instead of waiting.
public struct InjectedClock: Clock, Sendable {
    public typealias Instant = ContinuousClock.Instant
    public typealias Duration = Swift.Duration

    /// Where the time comes from.
    public let source: any TimeSource

    public init(_ source: any TimeSource) {
        self.source = source
    }

    /// Real time.
    public static var system: InjectedClock { InjectedClock(SystemTime()) }

    public var now: Instant { source.now }

    public var minimumResolution: Swift.Duration { ContinuousClock().minimumResolution }

    public func sleep(until deadline: Instant, tolerance: Swift.Duration?) async throws {
        try await source.sleep(until: deadline)
    }

    /// Sleeps until `deadline` (a deadline taken when the wait was decided, not when the
    /// sleeping task first runs: time a test moves meanwhile is not lost).
    public func sleep(until deadline: Instant) async throws {
        try await source.sleep(until: deadline)
    }
}
