import AgentState
import Locking
import Logging

/// One agent of an ``AgentFleet``: runs its session, and after the session gives up,
/// waits ``AgentFleet/retryAfter`` (or a reload) and starts a fresh one.
final class FleetMember: Sendable {
    private struct State {
        var configuration: DaemonConfiguration
        /// The session running now; `nil` while waiting to retry.
        var session: AgentSession?
        /// The wait before the next attempt, cut short by a reload or the end.
        var retryWait: Task<Void, Never>?
        var ending = false
        var loop: Task<Void, Never>?
    }

    let username: String
    let stateFile: String
    private let state: Locked<State>
    private let makeSession: @Sendable (DaemonConfiguration) -> AgentSession
    private let logger: Logger
    private let clock: DaemonClock

    init(
        username: String, configuration: DaemonConfiguration,
        makeSession: @escaping @Sendable (DaemonConfiguration) -> AgentSession, logger: Logger, clock: DaemonClock
    ) {
        self.username = username
        stateFile = configuration.stateFile
        state = Locked(State(configuration: configuration))
        self.makeSession = makeSession
        self.logger = logger
        self.clock = clock
    }

    /// The running session, if any.
    var current: AgentSession? { state.withLock { $0.session } }

    /// Starts the session loop; the returned function waits until the first session has
    /// written its first state file (or failed to).
    func begin() -> @Sendable () async -> Void {
        let (readyStream, readySink) = AsyncStream.makeStream(of: Void.self)
        let task = Task { await self.loop(onFirstReady: { readySink.finish() }) }
        state.withLock { $0.loop = task }
        return { for await _ in readyStream {} }
    }

    private func loop(onFirstReady: @escaping @Sendable () -> Void) async {
        var first = true
        while true {
            let session = state.withLock { state -> AgentSession? in
                guard !state.ending else { return nil }
                let session = makeSession(state.configuration)
                state.session = session
                return session
            }
            guard let session else { return onFirstReady() }
            let outcome = await session.run { _ in onFirstReady() }
            if first { onFirstReady() }
            first = false
            guard case .fatal(let reason) = outcome else { return }
            let wait = state.withLock { state -> Task<Void, Never>? in
                state.session = nil
                guard !state.ending else { return nil }
                let clock = self.clock
                let task = Task<Void, Never> { _ = try? await clock.sleep(for: AgentFleet.retryAfter) }
                state.retryWait = task
                return task
            }
            guard let wait else { return }
            logger.error(
                "the agent's session gave up; the other agents are not affected; retrying after \(AgentFleet.retryAfter) or at the next reload",
                metadata: ["error": "\(reason)"])
            await wait.value
        }
    }

    /// Applies this agent's configuration from a reload; an agent waiting to retry is tried at once.
    func reconfigure(_ configuration: DaemonConfiguration) async {
        let (session, changed, wait) = state.withLock { state in
            let changed = state.configuration != configuration
            state.configuration = configuration
            return (state.session, changed, state.retryWait)
        }
        if let session {
            if changed { await session.reload(configuration) }
        } else {
            wait?.cancel()
        }
    }

    /// Stops the session (it disconnects and writes its final state) and waits for the loop to end.
    func end() async {
        let (session, wait, loop) = state.withLock { state in
            state.ending = true
            return (state.session, state.retryWait, state.loop)
        }
        wait?.cancel()
        session?.stop()
        await loop?.value
    }
}
