import AgentState
import Locking

/// The last state document the daemon wrote, and the observers that follow each new one:
/// the control socket's `snapshot`, `subscribe` and `set` with `wait_s`.
///
/// Written by the session task after each successful state-file write; read and observed
/// from the control socket's thread and tasks. Observers are called on the session's
/// thread, in write order, and must return quickly (they queue bytes for a client).
public final class PublishedState: Sendable {
    public typealias Observer = @Sendable (StateDocument) -> Void

    private struct Shared {
        var latest: StateDocument?
        var observers: [UInt64: Observer] = [:]
        var nextToken: UInt64 = 0
    }

    private let shared = Locked(Shared())

    public init() {}

    /// The document in the state file now, if one was written.
    public var latest: StateDocument? { shared.withLock { $0.latest } }

    /// Records `document` as written and hands it to every observer.
    func publish(_ document: StateDocument) {
        let observers = shared.withLock { shared -> [Observer] in
            shared.latest = document
            return shared.observers.isEmpty ? [] : Array(shared.observers.values)
        }
        for observer in observers { observer(document) }
    }

    /// Calls `observer` with every document written from now on; returns the token that
    /// ``stopObserving(_:)`` takes.
    public func observe(_ observer: @escaping Observer) -> UInt64 {
        shared.withLock { shared in
            shared.nextToken += 1
            shared.observers[shared.nextToken] = observer
            return shared.nextToken
        }
    }

    /// Stops calling the observer of `token`.
    public func stopObserving(_ token: UInt64) {
        _ = shared.withLock { $0.observers.removeValue(forKey: token) }
    }

    /// How many observers there are (for tests and metrics).
    public var observerCount: Int { shared.withLock { $0.observers.count } }
}
