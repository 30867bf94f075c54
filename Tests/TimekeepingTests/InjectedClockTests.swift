import TestSupport
import Testing
import Timekeeping

@Suite("Clocks with injected time")
struct InjectedClockTests {
    @Test("An injected clock reads and sleeps on its source: a sleep ends when the time reaches its deadline")
    func sleepsOnItsSource() async throws {
        let time = ManualTime()
        let clock = time.clock
        let start = clock.now
        let deadline = start + .seconds(30)
        let sleeper = Task { try await clock.sleep(until: deadline) }
        await waitUntil("the sleep registered") { time.deadlines == [deadline] }
        time.advance(by: .seconds(29))
        #expect(time.deadlines == [deadline], "woken before its deadline")
        time.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.now == start + .seconds(30))
        // A deadline already passed returns at once.
        try await clock.sleep(until: start)
    }

    @Test("A cancelled sleep ends at once with CancellationError")
    func cancellation() async {
        let time = ManualTime()
        let sleeper = Task { try await time.clock.sleep(until: time.now + .seconds(3600)) }
        await waitUntil("the sleep registered") { time.deadlines.count == 1 }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(time.deadlines.isEmpty)
    }

    @Test("System time moves on its own")
    func systemTime() async throws {
        let clock = InjectedClock.system
        let start = clock.now
        try await clock.sleep(until: start + .milliseconds(5))
        #expect(clock.now >= start + .milliseconds(5))
    }
}
