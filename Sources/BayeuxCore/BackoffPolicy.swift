/// How long to wait before the next attempt after consecutive failures.
///
/// Linear growth with a cap, like the CometD clients, plus jitter so that a fleet of
/// daemons restarted together does not hammer the server in step. The first attempt
/// after a failure is immediate; attempt `n` waits between `(1 - jitter) × n × increment`
/// and `n × increment`, never more than `maximum`.
public struct BackoffPolicy: Sendable, Equatable {
    /// Growth per consecutive failure.
    public var increment: Duration
    /// The longest wait.
    public var maximum: Duration
    /// Fraction of the delay that is randomised, in 0...1.
    public var jitter: Double

    public init(increment: Duration = .seconds(1), maximum: Duration = .seconds(30), jitter: Double = 0.5) {
        self.increment = increment
        self.maximum = maximum
        self.jitter = Swift.min(Swift.max(jitter, 0), 1)
    }

    /// The delay before attempt number `failures` (0 = first retry), with `random` in 0..<1.
    public func delay(afterFailures failures: Int, random: Double) -> Duration {
        guard failures > 0 else { return .zero }
        let nominal = Swift.min(increment * Swift.min(failures, 1_000_000), maximum)
        let factor = 1 - jitter * Swift.min(Swift.max(random, 0), 1)
        return nominal * factor
    }
}
