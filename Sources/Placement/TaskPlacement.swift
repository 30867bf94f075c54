/// Which executor a tree of tasks prefers, carried over to the unstructured tasks it starts.
///
/// A task executor preference (`Task(executorPreference:)`) holds for a task and its child
/// tasks, but a plain `Task { }` started inside it runs on the default executor again. The
/// daemon shards its agents over several threads, each an executor with its own libcurl
/// loop, and an agent's helper tasks (its requests, timers and file flushes) must stay on
/// the agent's thread: so they are started with ``task(_:)``, which reads the preference
/// from a task-local that unstructured tasks inherit.
public enum TaskPlacement {
    /// The executor the current tree of tasks prefers; `nil` for none.
    @TaskLocal public static var executor: (any TaskExecutor)?

    /// Starts an unstructured task that prefers ``executor`` (as the caller's task does)
    /// and places its own unstructured tasks there too.
    @discardableResult
    public static func task<Success: Sendable>(
        _ operation: sending @escaping () async -> Success
    ) -> Task<Success, Never> {
        Task(executorPreference: executor, operation: operation)
    }

    /// Starts an unstructured task that prefers `executor` (`nil`: the default executor),
    /// and whose unstructured tasks started with ``task(_:)`` prefer it too.
    @discardableResult
    public static func task<Success: Sendable>(
        on executor: (any TaskExecutor)?, _ operation: sending @escaping () async -> Success
    ) -> Task<Success, Never> {
        Task(executorPreference: executor) {
            await $executor.withValue(executor) { await operation() }
        }
    }
}
