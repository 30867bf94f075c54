import Locking
import TestSupport
import Testing

@testable import AgentDaemon

@Suite("Work over every agent at once")
struct ConcurrentWorkTests {
    @Test(
        "Every element runs once, all of them at the same time, across groups of a bounded size",
        arguments: [0, 1, ConcurrentWork.width, ConcurrentWork.width + 1, 1_000])
    func everyElementAtOnce(count: Int) async {
        let started = Locked(0)
        let seen = Locked<[Int]>([])
        await ConcurrentWork.forEach(Array(0..<count)) { element in
            started.withLock { $0 += 1 }
            // No element finishes before every one has started: they run concurrently,
            // not one group after another.
            await waitUntil("all \(count) elements started") { started.withLock { $0 } == count }
            seen.withLock { $0.append(element) }
        }
        #expect(seen.withLock { $0 }.sorted() == Array(0..<count))
    }
}
