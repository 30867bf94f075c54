import Foundation
import Glibc
import Locking
import TestSupport
import Testing

@testable import AgentDaemon

/// The pieces of the local trust boundary that decide alone: who may act on which agent,
/// how much one client may have in flight, how often a client can make the daemon log,
/// one daemon per state directory, and one reload at a time.
@Suite("The local trust boundary's pieces")
struct TrustBoundaryTests {
    /// A gid that no test process is a member of.
    static let strangerGroup: gid_t = 54_321
    /// A uid that is neither root nor the test process.
    static let operatorUID: uid_t = 54_322

    @Test("operator_groups: a group's agents, every agent with *, reload only with *; root always")
    func operatorGroups() throws {
        let rootGroup = try #require(getgrgid(0)).pointee.gr_gid
        let groups = try OperatorGroups.parse(["root: agent1, agent2", "nogroup: *"]).get()
        let team = try #require(groups.grants?.first)
        #expect(team.gid == rootGroup && team.agents == ["agent1", "agent2"])
        #expect(groups.grants?.last?.agents == nil)

        let inTeam: (gid_t) -> Bool = { $0 == rootGroup }
        #expect(groups.refusal(uid: Self.operatorUID, isMember: inTeam, agent: "agent1") == nil)
        let other = groups.refusal(uid: Self.operatorUID, isMember: inTeam, agent: "agent3")
        #expect(other?.contains("uid 54322") == true && other?.contains("agent3") == true)
        #expect(groups.refusal(uid: Self.operatorUID, isMember: inTeam, agent: nil) != nil, "reload needs *")
        let nogroup = try #require(getgrnam("nogroup")).pointee.gr_gid
        #expect(groups.refusal(uid: Self.operatorUID, isMember: { $0 == nogroup }, agent: nil) == nil)
        #expect(groups.refusal(uid: Self.operatorUID, isMember: { _ in false }, agent: "agent1") != nil)
        #expect(groups.refusal(uid: 0, isMember: { _ in false }, agent: "agent1") == nil)
        #expect(OperatorGroups().refusal(uid: Self.operatorUID, isMember: { _ in false }, agent: "agent1") == nil)
    }

    @Test("operator_groups entries that are wrong say which and why")
    func operatorGroupsRefused() {
        func problem(_ entries: [String]) -> String? {
            if case .failure(let problem) = OperatorGroups.parse(entries) { return problem.description }
            return nil
        }
        #expect(problem(["root"])?.contains("is not GROUP: AGENT") == true)
        #expect(problem(["root: , "])?.contains("names no agent") == true)
        #expect(problem(["no-such-group-gws: agent1"])?.contains("no group no-such-group-gws") == true)
        #expect(problem([]) == nil)
    }

    @Test("In flight: at most 4 per client and 8 per agent; every place comes back")
    func inFlight() {
        let limits = InFlightLimits()
        for _ in 0..<InFlightLimits.perClient { #expect(limits.acquire(client: 1, agent: "a") == nil) }
        #expect(limits.acquire(client: 1, agent: "a")?.contains("this client") == true)
        for _ in 0..<InFlightLimits.perClient { #expect(limits.acquire(client: 2, agent: "a") == nil) }
        #expect(limits.acquire(client: 3, agent: "a")?.contains("for a") == true)
        #expect(limits.acquire(client: 3, agent: "b") == nil)
        limits.release(client: 1, agent: "a")
        #expect(limits.acquire(client: 3, agent: "a") == nil)
    }

    @Test("Notices a client can cause: one per uid per interval, the rest counted into the next")
    func throttledNotices() {
        let notices = ThrottledNotices(interval: .seconds(60))
        let start = ContinuousClock.now
        #expect(notices.admit(uid: 7, now: start) == (true, 0))
        for second in 1...20_000 {
            #expect(notices.admit(uid: 7, now: start + .milliseconds(second)).admitted == false)
        }
        #expect(notices.admit(uid: 8, now: start + .seconds(1)) == (true, 0), "another uid is not held back")
        #expect(notices.admit(uid: 7, now: start + .seconds(61)) == (true, 20_000))
    }

    @Test("A state directory is one daemon's: a second owner is refused, naming the first's pid")
    func stateDirectoryLock() throws {
        let directory = try TemporaryDirectory()
        let first = StateDirectoryLocks()
        #expect(first.acquire([directory.path]).refusals.isEmpty)
        // flock belongs to an open file: a second holder in the same process is refused as
        // another process would be.
        let second = StateDirectoryLocks()
        let refused = second.acquire([directory.path]).refusals
        #expect(refused == [.held(directory: directory.path, pid: getpid())])
        #expect(refused.first?.description.contains("another gws-agentd (pid \(getpid())) already runs") == true)
        var info = stat()
        #expect(stat(directory.path + "/" + StateDirectoryLocks.fileName, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        // A directory that is not there is no refusal: there is nothing to race on.
        let missing = second.acquire([directory.path + "/missing"])
        #expect(missing.refusals.isEmpty && missing.unavailable.count == 1)
    }

    @Test("Reloads asked for while one runs share the next run: two runs, however many ask")
    func joinedRuns() async {
        let runs = JoinedRuns<Int>()
        let count = Locked(0)
        let gate = Locked<CheckedContinuation<Void, Never>?>(nil)
        let job: @Sendable () async -> Int = {
            let number = count.withLock { value -> Int in
                value += 1
                return value
            }
            if number == 1 { await withCheckedContinuation { continuation in gate.withLock { $0 = continuation } } }
            return number
        }
        let first = Task { await runs.run(job) }
        await waitUntil("the first run under way") { gate.withLock { $0 != nil } }
        let joiners = (0..<10).map { _ in Task { await runs.run(job) } }
        await waitUntil("ten callers waiting for the next run") { runs.waiting == 10 }
        gate.withLock { $0?.resume() }
        #expect(await first.value == 1)
        for joiner in joiners { #expect(await joiner.value == 2) }
        #expect(count.withLock { $0 } == 2)
    }
}
