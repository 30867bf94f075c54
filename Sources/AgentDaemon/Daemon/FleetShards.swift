import CurlTransport
import Locking

/// The threads a fleet's agents are sharded over (`agents.threads`), and how many agents
/// each one runs.
///
/// Shard 0 is the thread the daemon already runs on (the serial executor: its tasks need
/// no preference); every other shard is a ``CurlExecutor``, a thread with a libcurl loop of
/// its own. An agent stays on the shard it was given: its session's tasks, its transfers
/// and its state-file writes all run there, one job after another, as they did when every
/// agent shared one thread. A new agent goes to the shard with the fewest.
final class FleetShards: Sendable {
    private let executors: [(any TaskExecutor)?]
    private let load: Locked<[Int]>

    /// Makes the shards beyond the first with `makeExecutor` (given each one's index); a
    /// shard that cannot start is left out, and its agents go to the others.
    init(count: Int, makeExecutor: (Int) -> (any TaskExecutor)?) {
        var executors: [(any TaskExecutor)?] = [nil]
        for index in 1..<max(count, 1) {
            if let executor = makeExecutor(index) { executors.append(executor) }
        }
        self.executors = executors
        load = Locked(Array(repeating: 0, count: executors.count))
    }

    /// How many shards `configured` threads give for `agents` agents: the CPUs the process
    /// may run on when not configured, never more than there are agents.
    static func count(configured: Int?, agents: Int, allowedCPUs: Int) -> Int {
        max(1, min(configured ?? allowedCPUs, agents, DaemonConfiguration.maxThreads))
    }

    /// How many shards there are.
    var count: Int { executors.count }

    /// How many agents each shard runs now.
    var loads: [Int] { load.withLock { $0 } }

    /// Gives a new agent the shard with the fewest agents (the first of equals).
    func assign() -> Int {
        load.withLock { load in
            var chosen = 0
            for index in load.indices where load[index] < load[chosen] { chosen = index }
            load[chosen] += 1
            return chosen
        }
    }

    /// An agent of `shard` is gone.
    func release(_ shard: Int) {
        load.withLock { load in
            if load.indices.contains(shard), load[shard] > 0 { load[shard] -= 1 }
        }
    }

    /// The executor an agent of `shard` prefers; `nil` for the daemon's own thread.
    func executor(of shard: Int) -> (any TaskExecutor)? {
        executors.indices.contains(shard) ? executors[shard] : nil
    }
}
