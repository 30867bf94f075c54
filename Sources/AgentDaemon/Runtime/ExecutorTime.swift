import Timekeeping

/// Real time whose sleeps, under `gws-agentd run`, are kept by the executor thread
/// (``ExecutorTimer``) instead of libdispatch's: the daemon then starts no libdispatch
/// thread at all. Elsewhere (tests, other programs) it sleeps on `ContinuousClock`.
public struct ExecutorTime: TimeSource {
    public init() {}

    public var now: ContinuousClock.Instant { ContinuousClock.now }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        if ExecutorTimer.isAvailable {
            let delay = ContinuousClock.now.duration(to: deadline)
            if delay > .zero { try await ExecutorTimer.sleep(for: delay) } else { try Task.checkCancellation() }
        } else {
            try await ContinuousClock().sleep(until: deadline, tolerance: nil)
        }
    }
}

extension InjectedClock {
    /// Real time as the daemon keeps it (``ExecutorTime``). Built once, where a program
    /// starts (`Daemon.run`, the operator commands), and handed to everything that waits.
    public static var executor: InjectedClock { InjectedClock(ExecutorTime()) }
}
