import Locking
import Testing

/// How long a test waits for an event before it fails: generous, because the deadline only
/// bounds a test that is already failing. A passing test waits for the event itself, not
/// for this time; on a loaded two-core machine events arrive late, never lost.
public let testDeadline: Duration = .seconds(60)

/// Waits until `condition` holds, checking every few milliseconds; after `timeout` of real
/// time it records an issue naming `what` (and, when given, what `diagnosis` says then)
/// and returns false. The one waiting helper of the test suite: every wait has a deadline
/// and a message, and none is a sleep.
@discardableResult
public func waitUntil(
    _ what: @autoclosure () -> String, timeout: Duration = testDeadline,
    diagnosis: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    try await waitFor(what(), timeout: timeout, diagnosis: diagnosis(), sourceLocation: sourceLocation) {
        try await condition() ? true : nil
    } != nil
}

/// Waits until `produce` returns a value and returns it, checking every few milliseconds;
/// after `timeout` of real time it records an issue naming `what` and returns `nil`.
public func waitFor<Value>(
    _ what: @autoclosure () -> String, timeout: Duration = testDeadline,
    diagnosis: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ produce: () async throws -> Value?
) async rethrows -> Value? {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await produce() { return value }
        guard ContinuousClock.now < deadline, !Task.isCancelled else {
            let detail = diagnosis()
            Issue.record(
                "gave up after \(timeout) waiting for \(what())\(detail.isEmpty ? "" : "; \(detail)")",
                sourceLocation: sourceLocation)
            return nil
        }
        try? await Task.sleep(for: .milliseconds(3))
    }
}

/// The value of `task` once it has one; `nil`, with an issue naming `what`, when it has none
/// by the test deadline (the task is then cancelled).
public func value<Value: Sendable>(
    of task: Task<Value, Never>, _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
) async -> Value? {
    let result = Locked<Value?>(nil)
    let collector = Task {
        result.withLock { $0 = nil }
        let value = await task.value
        result.withLock { $0 = value }
    }
    let value = await waitFor(what(), sourceLocation: sourceLocation) { result.withLock { $0 } }
    if value == nil {
        task.cancel()
        collector.cancel()
    }
    return value
}
