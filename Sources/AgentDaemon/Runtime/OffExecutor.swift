import Foundation

/// Runs blocking work (file reads by the thousand) on a thread of its own, so that the
/// daemon's one executor thread, which every agent shares, keeps serving them meanwhile.
enum OffExecutor {
    /// Runs `work` on a new thread and returns what it returned or threw.
    static func run<Value: Sendable, Failure: Error>(
        _ work: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        typealias Outcome = CheckedContinuation<Result<Value, Failure>, Never>
        let result = await withCheckedContinuation { (continuation: Outcome) in
            let thread = Thread {
                do throws(Failure) { continuation.resume(returning: .success(try work())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.name = "gws-config"
            thread.start()
        }
        return try result.get()
    }
}
