import AgentState
import Locking
import Logging
import Placement
import Timekeeping

/// One agent of an ``AgentFleet``: runs its session, and when the session gives up, does
/// what the fleet's ``GiveUpPolicy`` says: tells the fleet (which ends the daemon), or waits
/// (cut short by a reload or the end) and starts a fresh session.
final class FleetMember: Sendable {
    /// What the member tells the fleet.
    struct Events: Sendable {
        /// The first session wrote its first state file, or failed to (the error).
        var firstWrite: @Sendable (FileSystemError?) -> Void
        /// A session gave up under ``GiveUpPolicy/exitDaemon``.
        var gaveUp: @Sendable (FatalReason) -> Void
    }

    private struct State {
        var configuration: AgentConfiguration
        /// The session running now; `nil` while waiting to retry.
        var runner: AgentRunner?
        /// The wait before the next attempt, cut short by a reload or the end.
        var retryWait: Task<Void, Never>?
        var ending = false
        var loop: Task<Void, Never>?
    }

    let username: String
    /// The shard of the fleet this agent runs on (``FleetShards``), and its executor
    /// (`nil`: the daemon's own thread).
    let shard: Int
    private let executor: (any TaskExecutor)?
    private let state: Locked<State>
    private let makeRunner: @Sendable (AgentConfiguration) -> AgentRunner?
    private let policy: @Sendable () -> GiveUpPolicy
    private let events: Events
    private let logger: Logger
    private let clock: InjectedClock

    init(
        configuration: AgentConfiguration, shard: Int = 0, executor: (any TaskExecutor)? = nil,
        makeRunner: @escaping @Sendable (AgentConfiguration) -> AgentRunner?,
        policy: @escaping @Sendable () -> GiveUpPolicy, events: Events, logger: Logger, clock: InjectedClock
    ) {
        username = configuration.username
        self.shard = shard
        self.executor = executor
        state = Locked(State(configuration: configuration))
        self.makeRunner = makeRunner
        self.policy = policy
        self.events = events
        self.logger = logger
        self.clock = clock
    }

    /// The running session, if any.
    var current: AgentRunner? { state.withLock { $0.runner } }

    /// The agent's state file as the configuration in effect names it.
    var stateFile: String { state.withLock { $0.configuration.stateFile } }

    /// Starts the session loop on the agent's shard; the returned function waits until the
    /// first session has written its first state file (or failed to).
    func begin() -> @Sendable () async -> Void {
        let (readyStream, readySink) = AsyncStream.makeStream(of: Void.self)
        let events = self.events
        let task = TaskPlacement.task(on: executor) {
            await self.loop { error in
                events.firstWrite(error)
                readySink.finish()
            }
        }
        state.withLock { $0.loop = task }
        return { for await _ in readyStream {} }
    }

    private func loop(onFirstReady: @escaping @Sendable (FileSystemError?) -> Void) async {
        let first = Locked(true)
        let ready: @Sendable (FileSystemError?) -> Void = { error in
            if first.withLock({ state in
                defer { state = false }
                return state
            }) {
                onFirstReady(error)
            }
        }
        while true {
            let runner = state.withLock { state -> AgentRunner? in
                guard !state.ending, let runner = makeRunner(state.configuration) else { return nil }
                state.runner = runner
                return runner
            }
            guard let runner else { return ready(nil) }
            let outcome = await runner.run(onReady: ready)
            ready(nil)
            guard case .fatal(let reason) = outcome else { return }
            let retryAfter: Duration
            switch policy() {
            case .exitDaemon:
                state.withLock { $0.runner = nil }
                logger.critical("the agent's session gave up; stopping the daemon", metadata: ["error": "\(reason)"])
                return events.gaveUp(reason)
            case .retryAgent(let delay):
                retryAfter = delay
            }
            let wait = state.withLock { state -> Task<Void, Never>? in
                state.runner = nil
                guard !state.ending else { return nil }
                let clock = self.clock
                let deadline = clock.now + retryAfter
                let task = TaskPlacement.task { _ = try? await clock.sleep(until: deadline) }
                state.retryWait = task
                return task
            }
            guard let wait else { return }
            logger.error(
                "the agent's session gave up; the other agents are not affected; retrying after \(retryAfter) or at the next reload",
                metadata: ["error": "\(reason)"])
            await wait.value
        }
    }

    /// Applies this agent's configuration from a reload; an agent waiting to retry is tried at once.
    func reconfigure(_ configuration: AgentConfiguration) async {
        let (runner, changed, wait) = state.withLock { state in
            let changed = state.configuration != configuration
            state.configuration = configuration
            return (state.runner, changed, state.retryWait)
        }
        if let runner {
            if changed { await runner.reload(configuration) }
        } else {
            wait?.cancel()
        }
    }

    /// Stops the session (it disconnects and writes its final state) and waits for the loop to end.
    func end() async {
        let (runner, wait, loop) = state.withLock { state in
            state.ending = true
            return (state.runner, state.retryWait, state.loop)
        }
        wait?.cancel()
        runner?.stop()
        await loop?.value
    }
}
