import Locking
import TestSupport
import Testing

@testable import AgentDaemon

/// The daemon's one timer for every agent's heartbeat: never late, early by at most its
/// slack, one wake-up for many beats, and work per beat that does not grow with the agents.
@Suite("Heartbeat ticker")
struct HeartbeatTickerTests {
    /// A ticker on manual time and the beats it gave: which registration, and when.
    final class Run: Sendable {
        let time = ManualTime()
        let ticker: HeartbeatTicker
        let beats = Locked<[(index: Int, at: ContinuousClock.Instant)]>([])

        init(slack: Duration = .seconds(1)) { ticker = HeartbeatTicker(clock: time.clock, slack: slack) }

        @discardableResult
        func register(_ index: Int, interval: Duration = .seconds(10)) -> HeartbeatTicker.Registration {
            let time = self.time
            let beats = self.beats
            return ticker.register(interval: interval) { beats.withLock { $0.append((index, time.now)) } }
        }

        var recorded: Int { beats.withLock { $0.count } }

        /// Waits until the ticker has handed over every beat it gave and sleeps again.
        func settle() async {
            await waitUntil("the ticker's beats handed over and its next sleep registered") {
                time.wakingSleepers == 0 && recorded == ticker.counts.beats && !time.deadlines.isEmpty
            }
        }

        /// Moves time to `end`, one deadline at a time, letting the ticker act at each.
        func run(until end: ContinuousClock.Instant) async {
            await settle()
            while time.now < end {
                _ = time.advanceToNextDeadline(atMost: time.now.duration(to: end))
                await settle()
            }
        }
    }

    @Test("One registration beats every interval, on time")
    func beatsOnTime() async {
        let run = Run()
        let start = run.time.now
        run.register(0)
        await run.run(until: start + .seconds(30))
        #expect(run.beats.withLock { $0.map(\.at) } == [10, 20, 30].map { start + .seconds($0) })
    }

    @Test("Beats spread over the interval are given in batches: never late, early by at most the slack")
    func batches() async {
        let run = Run()
        let start = run.time.now
        var registered: [ContinuousClock.Instant] = []
        for index in 0..<1000 {
            registered.append(run.time.now)
            run.register(index)
            run.time.advance(by: .milliseconds(10))
        }
        let end = start + .seconds(40)
        await run.run(until: end)
        let beats = run.beats.withLock { $0 }
        var count = [Int](repeating: 0, count: 1000)
        for beat in beats {
            count[beat.index] += 1
            let due = registered[beat.index] + .seconds(10 * count[beat.index])
            let which = "beat \(count[beat.index]) of registration \(beat.index)"
            #expect(beat.at <= due, "\(which) late")
            #expect(beat.at >= due - .seconds(1), "\(which) more than the slack early")
        }
        // Three beats each by the end, and a fourth only when due within the slack of it.
        for index in 0..<1000 {
            let fourthDue = registered[index] + .seconds(40)
            let allowed = count[index] == 3 || (count[index] == 4 && fourthDue <= end + .seconds(1))
            #expect(allowed, "registration \(index): \(count[index]) beats")
        }
        // 30 s of beats at 1 s of slack: about 30 wake-ups for 3,000 beats.
        let wakes = run.ticker.counts.wakes
        #expect(wakes <= 32, "\(wakes) wake-ups")
    }

    @Test(
        "Work per beat does not grow with the registrations: a wake-up looks at a slack's worth of them",
        arguments: [10, 10_000])
    func workPerBeat(registrations: Int) async {
        // The daemon's slack: a tenth of a second.
        let run = Run(slack: .milliseconds(100))
        let spacing = Duration.seconds(10) / registrations
        for index in 0..<registrations {
            run.register(index)
            run.time.advance(by: spacing)
        }
        let before = run.ticker.counts
        await run.run(until: run.time.now + .seconds(30))
        let after = run.ticker.counts
        let beats = after.beats - before.beats
        let visited = after.visited - before.visited
        #expect(beats >= registrations * 2)
        // At most one wake-up per slack.
        #expect(after.wakes - before.wakes <= 301)
        // A few registrations looked at per beat given (the beat's own, those staying in the
        // last bucket, the next bucket's), whatever their number.
        #expect(visited <= beats * 4, "\(visited) looked at for \(beats) beats")
    }

    @Test("A cancelled registration beats no more; cancelling the last ends the ticker's sleep")
    func cancel() async {
        let run = Run()
        let start = run.time.now
        let first = run.register(0)
        let second = run.register(1)
        await run.run(until: start + .seconds(10))
        run.ticker.cancel(first)
        await run.run(until: start + .seconds(30))
        #expect(run.beats.withLock { $0.map(\.index) }.sorted() == [0, 1, 1, 1])
        run.ticker.cancel(second)
        await waitUntil("the ticker's sleep ended") { run.time.deadlines.isEmpty }
        #expect(run.ticker.counts.registered == 0)
    }

    @Test("A registration due sooner than the ticker's sleep wakes it sooner")
    func soonerRegistration() async {
        let run = Run()
        let start = run.time.now
        run.register(0, interval: .seconds(60))
        await waitUntil("the ticker sleeping for 60 s") { run.time.deadlines == [start + .seconds(60)] }
        run.register(1, interval: .seconds(5))
        await waitUntil("the ticker sleeping for 5 s instead") { run.time.deadlines == [start + .seconds(5)] }
        await run.run(until: start + .seconds(5))
        #expect(run.beats.withLock { $0.map(\.index) } == [1])
        #expect(run.beats.withLock { $0.map(\.at) } == [start + .seconds(5)])
    }
}
