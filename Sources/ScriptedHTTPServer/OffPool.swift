import Foundation

/// Runs blocking work (child processes, pipe reads, polling sleeps) on a thread of its
/// own, so that it never occupies one of the few threads of Swift's cooperative pool —
/// on a 2-core machine, two blocked tests would otherwise stall every other test.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
