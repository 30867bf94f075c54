import Locking
import Placement

/// Child tasks the session started (REST calls, timers, Bayeux forwarders), so that
/// they can all be cancelled at the end. Each task removes itself when it finishes, so
/// the set holds only what is in flight, however long the daemon runs.
final class TaskSet: Sendable {
    private struct State {
        var next = 0
        var tasks: [Int: Task<Void, Never>] = [:]
    }

    private let state = Locked(State())

    /// Starts `work` as a new task.
    func add(_ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let id = state.next
            state.next += 1
            // The task cannot remove itself before it is inserted: removal takes this lock.
            state.tasks[id] = TaskPlacement.task { [weak self] in
                await work()
                self?.remove(id)
            }
        }
    }

    private func remove(_ id: Int) {
        _ = state.withLock { $0.tasks.removeValue(forKey: id) }
    }

    /// How many tasks are in flight.
    var count: Int { state.withLock { $0.tasks.count } }

    func cancelAll() {
        let tasks = state.withLock { state in
            defer { state.tasks = [:] }
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
    }
}
