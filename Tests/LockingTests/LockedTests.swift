import Locking
import Testing

@Suite("Locked values")
struct LockedTests {
    @Test("Concurrent increments through withLock lose nothing")
    func concurrentIncrements() async {
        let counter = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<10_000 { counter.withLock { $0 += 1 } } }
            }
        }
        #expect(counter.withLock { $0 } == 80_000)
    }

    @Test("withLock returns what its body returns, and rethrows what it throws")
    func returnsAndThrows() {
        let value = Locked([1, 2])
        #expect(value.withLock { $0.count } == 2)
        struct Refused: Error {}
        #expect(throws: Refused.self) { try value.withLock { _ in throw Refused() } }
        #expect(value.withLock { $0 } == [1, 2], "a throwing body changed nothing")
    }
}
