import AgentState
import Glibc

/// The wall clock, for timestamps written to the state file and the logs. Durations and
/// staleness never use it: they use the monotonic clock, immune to clock steps.
public enum WallClock {
    /// Now, as seconds since the epoch.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Now, as an RFC 3339 UTC timestamp with milliseconds.
    public static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp.rfc3339(seconds: Int64(spec.tv_sec), nanoseconds: Int64(spec.tv_nsec))
    }
}
