import Dispatch
import Placement
import Testing

/// A task executor on a serial dispatch queue, which can tell whether a job runs on it.
final class QueueExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "placement-test")
    private let key = DispatchSpecificKey<Bool>()

    init() { queue.setSpecific(key: key, value: true) }

    /// Whether the caller runs on this executor's queue.
    var isCurrent: Bool { DispatchQueue.getSpecific(key: key) == true }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

@Suite struct TaskPlacementTests {
    @Test func placedTasksRunOnTheExecutorAndTheirTasksFollow() async {
        let executor = QueueExecutor()
        let seen = await TaskPlacement.task(on: executor) { () async -> [Bool] in
            let own = executor.isCurrent
            let helper = await TaskPlacement.task { executor.isCurrent }.value
            let grandchild = await TaskPlacement.task {
                await TaskPlacement.task { executor.isCurrent }.value
            }.value
            return [own, helper, grandchild]
        }.value
        #expect(seen == [true, true, true])
    }

    @Test func aPlainTaskInsideLeavesTheExecutor() async {
        // Why the helper exists: the preference does not pass to unstructured tasks.
        let executor = QueueExecutor()
        let plain = await TaskPlacement.task(on: executor) { () async -> Bool in
            await Task { executor.isCurrent }.value
        }.value
        #expect(!plain)
    }

    @Test func withoutPlacementTasksPreferNothing() async {
        let executor = QueueExecutor()
        let placed = await TaskPlacement.task { executor.isCurrent }.value
        #expect(!placed)
        #expect(TaskPlacement.executor == nil)
        let unplaced = await TaskPlacement.task(on: nil) {
            withUnsafeCurrentTask { $0?.unownedTaskExecutor == nil }
        }.value
        #expect(unplaced)
    }
}
