import Foundation
import Glibc
import Testing

@testable import AgentDaemon

/// Blocking work (the agents' password files) runs on a thread of its own.
@Suite("Work off the executor thread")
struct OffExecutorTests {
    struct Refused: Error, Equatable {}

    @Test("The work runs on its own thread; its value and its error come back")
    func runsElsewhere() async throws {
        // The caller's thread lives on (a pool thread), so a new thread has another id.
        let caller = pthread_self()
        let worker = await OffExecutor.run { () -> pthread_t in pthread_self() }
        #expect(pthread_equal(caller, worker) == 0, "the work ran on the caller's thread")
        #expect(await OffExecutor.run { () -> Int in 6 * 7 } == 42)
        await #expect(throws: Refused.self) {
            try await OffExecutor.run { () throws(Refused) -> Int in throw Refused() }
        }
    }
}
