import CSerialExecutor
import Locking

/// Sleeps kept by the daemon's executor thread (`CSerialExecutor`) instead of
/// libdispatch's timer thread: `gws-agentd run` then starts no libdispatch thread at all
/// (libdispatch runs its timer thread at a raised priority, which a service without
/// privileges may not take, and says so in the journal).
enum ExecutorTimer {
    /// Whether this process has the executor (`gws-agentd run` installs it).
    static var isAvailable: Bool { gws_serial_executor_is_installed() != 0 }

    /// Sleeps `delay`; throws `CancellationError` when the task is cancelled first.
    static func sleep(for delay: Duration) async throws {
        let sleeper = Sleeper()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                guard sleeper.wait(with: continuation) else { return }
                let nanoseconds =
                    UInt64(clamping: delay.components.seconds) &* 1_000_000_000
                    &+ UInt64(clamping: delay.components.attoseconds / 1_000_000_000)
                // The executor holds one reference until it calls back.
                let context = Unmanaged.passRetained(sleeper).toOpaque()
                let status = gws_serial_executor_schedule(
                    nanoseconds,
                    { context in
                        guard let context else { return }
                        Unmanaged<Sleeper>.fromOpaque(context).takeRetainedValue().wake()
                    }, context)
                if status != 0 {
                    Unmanaged<Sleeper>.fromOpaque(context).release()
                    sleeper.wake()
                }
            }
        } onCancel: {
            sleeper.cancel()
        }
    }

    /// Lets the jobs queued now run before the caller goes on, so that a loop over every
    /// agent is many short jobs instead of one long one. On the executor: a timer due at
    /// once, whose callback (run before the executor takes its next job) queues the
    /// caller's continuation behind them. Elsewhere (tests): `Task.yield()`. (`Task.yield()`
    /// itself would start a libdispatch thread under `gws-agentd run`.)
    static func yield() async {
        guard isAvailable else {
            await Task.yield()
            return
        }
        try? await sleep(for: .zero)
    }

    /// One sleep: resumed once, by the timer or by cancellation, whichever comes first.
    private final class Sleeper: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<Void, any Error>)
            case woken
            case cancelled
        }

        private let state = Locked(State.idle)

        /// Keeps the continuation; false (after resuming it) when already cancelled.
        func wait(with continuation: CheckedContinuation<Void, any Error>) -> Bool {
            let cancelled = state.withLock { state -> Bool in
                if case .cancelled = state { return true }
                state = .waiting(continuation)
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
            return !cancelled
        }

        func wake() { finish(.woken)?.resume() }

        func cancel() { finish(.cancelled)?.resume(throwing: CancellationError()) }

        /// Moves to `end`; the continuation to resume, if it was waiting.
        private func finish(_ end: State) -> CheckedContinuation<Void, any Error>? {
            state.withLock { state in
                switch state {
                case .waiting(let continuation):
                    state = end
                    return continuation
                case .idle:
                    state = end
                    return nil
                case .woken, .cancelled:
                    return nil
                }
            }
        }
    }
}
