import AgentState
import BayeuxClient
import BayeuxCore
import Locking
import Logging
import Systemd

/// The daemon's session with GWS: one task runs a ``SessionCoordinator`` and performs its
/// actions (REST calls, a Bayeux client, timers), publishes the state file, reports
/// `STATUS=` to systemd and writes the metrics file.
///
/// Other tasks talk to it only through ``stop()`` and ``reload(_:)``, and read
/// ``health`` for the watchdog.
public final class AgentSession: Sendable {
    let inbox: AsyncStream<SessionInput>
    let sink: AsyncStream<SessionInput>.Continuation
    let progress = ProgressStamp()
    /// The running Bayeux client, for the watchdog.
    let currentClient = Locked<BayeuxClient<ContinuousClock>?>(nil)
    let environment: SessionEnvironment

    /// What the session needs from its surroundings; tests substitute the file system.
    public struct SessionEnvironment: Sendable {
        public var configuration: DaemonConfiguration
        public var logger: Logger
        public var header: StateHeader
        public var notifier: SystemdNotifier
        public var fileSystem: any FileSystem
        public var version: String
        public var seed: UInt64

        public init(
            configuration: DaemonConfiguration, logger: Logger, header: StateHeader,
            notifier: SystemdNotifier = SystemdNotifier(), fileSystem: any FileSystem = POSIXFileSystem(),
            version: String, seed: UInt64 = UInt64.random(in: .min ... .max)
        ) {
            self.configuration = configuration
            self.logger = logger
            self.header = header
            self.notifier = notifier
            self.fileSystem = fileSystem
            self.version = version
            self.seed = seed
        }
    }

    public init(environment: SessionEnvironment) {
        self.environment = environment
        (inbox, sink) = AsyncStream.makeStream(of: SessionInput.self)
    }

    /// Asks the session to disconnect, write its final state and return from ``run(onReady:)``.
    public func stop() { sink.yield(.stop) }

    /// Applies a reloaded configuration; returns once it is in effect.
    public func reload(_ configuration: DaemonConfiguration) async {
        await withCheckedContinuation { continuation in
            sink.yield(.reload(configuration, done: continuation))
        }
    }

    /// Whether the session is making progress, for the systemd watchdog.
    public var health: SessionHealth {
        let client = currentClient.withLock { $0 }
        return SessionHealth(
            loopProgress: progress.last, bayeuxProgress: client?.snapshot.lastProgress,
            adviceTimeout: client?.snapshot.adviceTimeout)
    }

    /// Runs until stopped or until the coordinator gives up.
    /// - Parameter onReady: called once the first state file (`connected: false`) is
    ///   written or has failed (its error), before any network activity.
    public func run(onReady: @Sendable (FileSystemError?) -> Void) async -> SessionOutcome {
        let loop = SessionLoop(session: self)
        return await loop.run(onReady: onReady)
    }
}

/// What the watchdog needs to tell a healthy session from a stuck one.
public struct SessionHealth: Sendable {
    /// When the session task last handled an input (at least every heartbeat).
    public var loopProgress: ContinuousClock.Instant
    /// When the Bayeux client's loop last handled an event, if a client runs.
    public var bayeuxProgress: ContinuousClock.Instant?
    /// The server's long-poll hold time, if a client runs.
    public var adviceTimeout: Duration?

    /// Whether both loops made progress recently enough at `now`.
    ///
    /// The session loop handles at least one input per heartbeat; the Bayeux loop at
    /// least one event per long poll (`adviceTimeout + maxNetworkDelay`) or per backoff
    /// delay (at most `backoffMaximum`). `slack` covers scheduling delays.
    public func isHealthy(
        now: ContinuousClock.Instant, heartbeat: Duration, maxNetworkDelay: Duration, backoffMaximum: Duration,
        slack: Duration = .seconds(15)
    ) -> Bool {
        guard loopProgress.duration(to: now) <= heartbeat + slack else { return false }
        guard let bayeuxProgress else { return true }
        let allowance = max((adviceTimeout ?? .zero) + maxNetworkDelay, backoffMaximum) + slack
        return bayeuxProgress.duration(to: now) <= allowance
    }
}
