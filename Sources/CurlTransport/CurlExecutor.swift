import CCurl
import CSerialExecutor
import Glibc
import Locking

/// A thread that runs Swift jobs and, between them, serves a libcurl loop of its own: one
/// shard of the daemon's agents (`agents.threads`).
///
/// A task that prefers this executor (`Task(executorPreference:)`, or
/// `TaskPlacement.task(on:)`) runs here, and every ``CurlHTTPClient`` it creates uses this
/// thread's loop: a response resumes its task on the thread that read it, with no
/// hand-over, as on the process's serial executor. Timers stay with the serial executor,
/// whose callbacks queue the sleeping task back here.
///
/// Ownership rule (why this is `@unchecked Sendable`): `loop` is driven only on the
/// executor's thread; other threads reach the executor only through `queue` (a `Locked`)
/// and the loop's eventfd. The thread holds the executor for the rest of the process, so
/// neither is ever freed.
public final class CurlExecutor: TaskExecutor, @unchecked Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        /// The thread waits for I/O: a new job must wake it.
        var parked = false
    }

    /// Jobs run in a row before libcurl gets a turn, so that a steady stream of jobs cannot
    /// starve the loop's sockets (the serial executor uses the same figure).
    static let jobsBetweenPolls = 64

    let loop: CurlLoop
    private let name: String
    private let queue = Locked(Queue())
    private let stats = Locked(gws_executor_job_stats())
    private static let started = Locked<[CurlExecutor]>([])

    /// Starts the thread, named `name` in `top -H` and perf (at most 15 bytes are kept).
    /// `nil` when libcurl cannot allocate the loop or no thread can start.
    public init?(name: String) {
        guard let loop = CurlLoop(drivenBy: .shard) else { return nil }
        self.loop = loop
        self.name = name
        let context = Unmanaged.passRetained(self).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let status = pthread_create(
            &thread, &attributes,
            { context in
                guard let context else { return nil }
                Unmanaged<CurlExecutor>.fromOpaque(context).takeUnretainedValue().drain()
                return nil
            }, context)
        pthread_attr_destroy(&attributes)
        guard status == 0 else {
            Unmanaged<CurlExecutor>.fromOpaque(context).release()
            return nil
        }
        Self.started.withLock { $0.append(self) }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wake = queue.withLock { queue in
            queue.jobs.append(job)
            defer { queue.parked = false }
            return queue.parked
        }
        if wake { loop.readiness.wake() }
    }

    /// Whether the caller runs on this executor's thread.
    public var isCurrent: Bool { gws_thread_served_loop() == Unmanaged.passUnretained(loop).toOpaque() }

    /// How long this executor's jobs and libcurl turns ran.
    public var jobStats: gws_executor_job_stats { stats.withLock { $0 } }

    /// The job statistics of every executor started in this process, added up (the
    /// longest is the longest of any).
    public static func combinedJobStats() -> gws_executor_job_stats {
        started.withLock { $0 }.reduce(into: gws_executor_job_stats()) { total, executor in
            total.add(executor.jobStats)
        }
    }

    /// The thread: jobs, then libcurl's turn; with nothing queued, waits in the loop for
    /// I/O, libcurl's timer or a new job (at most a second).
    private func drain() {
        gws_set_current_thread_name(name)
        gws_thread_set_served_loop(Unmanaged.passUnretained(loop).toOpaque())
        let executor = asUnownedTaskExecutor()
        var batch: [UnownedJob] = []
        while true {
            batch.removeAll(keepingCapacity: true)
            queue.withLock { swap(&$0.jobs, &batch) }
            for (index, job) in batch.enumerated() {
                let started = SocketReadiness.now()
                job.runSynchronously(on: executor)
                record(SocketReadiness.now() - started)
                if (index + 1) % Self.jobsBetweenPolls == 0 { serveLoop() }
            }
            serveLoop()
            let idle = queue.withLock { queue in
                queue.parked = queue.jobs.isEmpty
                return queue.parked
            }
            guard idle else { continue }
            let woke = loop.act(waitingUpTo: 1000)
            queue.withLock { $0.parked = false }
            _ = loop.turn(polling: false)
            record(SocketReadiness.now() - woke)
        }
    }

    /// libcurl's turn without waiting: new transfers, ready sockets, finished ones.
    private func serveLoop() {
        let started = SocketReadiness.now()
        _ = loop.turn()
        record(SocketReadiness.now() - started)
    }

    private func record(_ nanoseconds: UInt64) {
        stats.withLock { gws_executor_job_stats_record(&$0, nanoseconds) }
    }
}

extension gws_executor_job_stats {
    /// Adds `other`'s jobs to these (the longest stays the longest of both).
    public mutating func add(_ other: gws_executor_job_stats) {
        count += other.count
        sum_ns += other.sum_ns
        max_ns = Swift.max(max_ns, other.max_ns)
        withUnsafeMutableBytes(of: &buckets) { mine in
            withUnsafeBytes(of: other.buckets) { theirs in
                let mine = mine.bindMemory(to: UInt64.self)
                let theirs = theirs.bindMemory(to: UInt64.self)
                for index in mine.indices { mine[index] += theirs[index] }
            }
        }
    }
}
