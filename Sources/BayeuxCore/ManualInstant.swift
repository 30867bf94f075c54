/// An instant that moves only when its owner moves it: the clock the pure state machines
/// (``SessionStateMachine`` here, the session coordinator above it) are driven with outside
/// real time — in tests, under the fuzzer, in simulations.
public struct ManualInstant: InstantProtocol, Sendable {
    /// Time since an arbitrary origin.
    public var offset: Duration

    public init(offset: Duration) {
        self.offset = offset
    }

    public func advanced(by duration: Duration) -> ManualInstant { ManualInstant(offset: offset + duration) }
    public func duration(to other: ManualInstant) -> Duration { other.offset - offset }
    public static func < (lhs: ManualInstant, rhs: ManualInstant) -> Bool { lhs.offset < rhs.offset }
}
