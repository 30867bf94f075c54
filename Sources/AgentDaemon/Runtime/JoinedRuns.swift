import Locking

/// Runs an async job one at a time, and joins callers together: a caller that arrives while
/// the job runs waits for the next run, which it shares with everyone else who arrived
/// meanwhile. However many ask, at most one run is under way and one is waiting.
///
/// What `reload` needs: each caller's answer reflects the configuration as it was when it
/// asked (the next run reads it again), and a burst of reloads costs two runs, not one each.
final class JoinedRuns<Outcome: Sendable>: Sendable {
    private struct State {
        var running = false
        /// Callers of the next run; resumed with its outcome.
        var waiting: [CheckedContinuation<Outcome?, Never>] = []
    }

    private let state = Locked(State())

    /// How many callers wait for the next run.
    var waiting: Int { state.withLock { $0.waiting.count } }

    /// Runs `job`, or joins the next run when one is under way; returns that run's outcome.
    func run(_ job: @Sendable () async -> Outcome) async -> Outcome {
        // `nil`: this caller runs the job; an outcome: a run it joined ended.
        let joined = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome?, Never>) in
            let runsItself = state.withLock { state -> Bool in
                if state.running {
                    state.waiting.append(continuation)
                    return false
                }
                state.running = true
                return true
            }
            if runsItself { continuation.resume(returning: nil) }
        }
        if let joined { return joined }
        let mine = await job()
        while true {
            let waiting = state.withLock { state -> [CheckedContinuation<Outcome?, Never>] in
                defer { state.waiting = [] }
                if state.waiting.isEmpty { state.running = false }
                return state.waiting
            }
            guard !waiting.isEmpty else { return mine }
            let next = await job()
            for waiter in waiting { waiter.resume(returning: next) }
        }
    }
}
