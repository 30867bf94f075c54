import BayeuxCore
import JSON
import Testing

/// Advice a hostile server could use to park the client or blind the watchdog is clamped.
@Suite("Hostile advice")
struct HostileAdviceTests {
    @Test("interval, timeout and maxInterval are clamped to their documented ranges")
    func clamped() {
        var advice = Advice.initial
        advice.merge(["interval": .int(86_400_000), "timeout": .int(86_400_000), "maxInterval": .int(86_400_000)])
        #expect(advice.interval == Advice.maximumInterval)
        #expect(advice.timeout == Advice.maximumTimeout)
        #expect(advice.maxInterval == Advice.maximumMaxInterval)
        #expect(Advice.maximumInterval == .seconds(60))
        #expect(Advice.maximumTimeout == .seconds(300))
        advice.merge(["interval": .int(-1), "timeout": .int(25_000)])
        #expect(advice.interval == .milliseconds(-1), "a negative interval still means stop")
        #expect(advice.timeout == .seconds(25), "ordinary values are kept")
        advice.merge(["timeout": .double(.infinity)])
        #expect(advice.timeout == Advice.maximumTimeout)
    }
}
