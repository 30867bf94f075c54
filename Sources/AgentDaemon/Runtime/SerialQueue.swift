import Locking

/// Runs async jobs one at a time, in arrival order: a job that arrives while another runs
/// waits for it (and for those that arrived before it) to finish.
final class SerialQueue: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())

    /// Runs `job` once every earlier job has finished; returns its result.
    func run<Result: Sendable>(_ job: @Sendable () async -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.busy {
                    state.waiting.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if now { continuation.resume() }
        }
        let result = await job()
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
        return result
    }
}
