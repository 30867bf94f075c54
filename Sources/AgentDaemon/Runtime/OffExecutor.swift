import Glibc

/// Runs blocking work (file reads by the thousand) on a thread of its own, so that the
/// daemon's one executor thread, which every agent shares, keeps serving them meanwhile.
///
/// A plain detached pthread: Foundation's `Thread` starts libdispatch's worker machinery,
/// which asks for a thread priority the shipped unit does not grant and says so in the
/// journal.
enum OffExecutor {
    /// The work handed to the new thread; the thread takes the one retain.
    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `work` on a new thread and returns what it returned or threw. When no thread
    /// can be started, runs it here.
    static func run<Value: Sendable, Failure: Error>(
        _ work: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        typealias Outcome = CheckedContinuation<Result<Value, Failure>, Never>
        let result = await withCheckedContinuation { (continuation: Outcome) in
            let body = {
                do throws(Failure) { continuation.resume(returning: .success(try work())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            let context = Unmanaged.passRetained(Work(body)).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(
                &thread, nil,
                { context in
                    guard let context else { return nil }
                    Unmanaged<Work>.fromOpaque(context).takeRetainedValue().body()
                    return nil
                }, context)
            if started == 0 {
                pthread_detach(thread)
            } else {
                Unmanaged<Work>.fromOpaque(context).takeRetainedValue().body()
            }
        }
        return try result.get()
    }
}
