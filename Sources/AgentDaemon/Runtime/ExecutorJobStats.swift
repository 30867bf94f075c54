import CSerialExecutor
import CurlTransport

/// How long the daemon's executor jobs ran (each agent's work is one job after another on
/// its thread, so one long job delays every agent of that thread): a histogram, the sum
/// and the longest, over the serial executor and every shard thread, for the metrics file.
struct ExecutorJobStats: Sendable {
    /// Jobs at most each bound long, the bounds in seconds; the last count has no bound.
    var buckets: [(bound: Double?, count: UInt64)]
    var count: UInt64
    var sumSeconds: Double
    var maxSeconds: Double

    init(_ stats: gws_executor_job_stats) {
        let counts = withUnsafeBytes(of: stats.buckets) { Array($0.bindMemory(to: UInt64.self)) }
        let bounds = withUnsafeBytes(of: gws_executor_job_bounds_ns) { Array($0.bindMemory(to: UInt64.self)) }
        buckets = counts.indices.map { index in
            (index < bounds.count ? Double(bounds[index]) / 1e9 : nil, counts[index])
        }
        count = stats.count
        sumSeconds = Double(stats.sum_ns) / 1e9
        maxSeconds = Double(stats.max_ns) / 1e9
    }

    /// The executors' figures so far, added up; `nil` when this process does not run the
    /// serial executor (tests).
    static func current() -> ExecutorJobStats? {
        guard gws_serial_executor_is_installed() != 0 else { return nil }
        var stats = gws_executor_job_stats()
        gws_serial_executor_job_stats(&stats)
        stats.add(CurlExecutor.combinedJobStats())
        return ExecutorJobStats(stats)
    }
}
