import Testing

@testable import GWSSimulator

/// The simulator's HTTP-session table stays cheap at 10,000 agents: expired sessions go,
/// live ones stay, and a login does not scan every session.
@Suite("gws-sim HTTP sessions at fleet size")
struct HTTPSessionsTests {
    @Test("20,000 logins, half of them expired on the way: expired sessions purged, live ones kept, few purges")
    func purgeIsAmortised() {
        var sessions = HTTPSessions(idleTimeout: .seconds(10))
        let start = ContinuousClock.now
        var early: [String] = []
        for _ in 0..<10_000 { early.append(sessions.create(for: "early", now: start).0) }
        let later = start + .seconds(20)
        var late: [String] = []
        var purges = 0
        var previous = sessions.count
        for _ in 0..<10_000 {
            late.append(sessions.create(for: "late", now: later).0)
            if sessions.count < previous { purges += 1 }
            previous = sessions.count
        }
        #expect(purges >= 1, "the expired sessions were never purged")
        #expect(purges <= 3, "\(purges) purges for 10,000 logins: a scan per login")
        #expect(sessions.count <= 2 * 10_000, "\(sessions.count) sessions kept for 10,000 live ones")
        #expect(late.allSatisfy { sessions.lookup($0, now: later) != nil }, "a live session was purged")
        #expect(early.allSatisfy { sessions.lookup($0, now: later) == nil }, "an expired session is still usable")
    }
}
