import AgentState
import Locking

/// One agent's state documents as they come, and the observers that follow them: the
/// control socket's `snapshot`, `subscribe` and `set` with `wait_s`.
///
/// It belongs to the agent's name, not to one session: the fleet keeps it while the agent is
/// followed (and while anyone observes it), so that a subscription follows the agent across
/// a new session, and across its removal (an `ended` event) and return.
///
/// Written by the agent's runner after each document (whether or not the state file could
/// be written: observers learn of a confirmed change even on a full disk); read and observed
/// from the control socket's thread and tasks. Observers are called on the writer's
/// thread, in order, and must return quickly (they queue bytes for a client).
public final class PublishedState: Sendable {
    /// What an observer is told.
    public enum Event: Sendable {
        /// A new document (`written`: whether the state file holds it).
        case document(StateDocument, written: Bool)
        /// The daemon no longer follows the agent (a reload removed it).
        case ended
    }

    public typealias Observer = @Sendable (Event) -> Void

    private struct Shared {
        var latest: StateDocument?
        var observers: [UInt64: Observer] = [:]
        var nextToken: UInt64 = 0
    }

    private let shared = Locked(Shared())

    public init() {}

    /// The agent's latest document (the state file's, or the one a failed write meant to put there).
    public var latest: StateDocument? { shared.withLock { $0.latest } }

    /// Records `document` and hands it to every observer.
    func publish(_ document: StateDocument, written: Bool = true) {
        let observers = shared.withLock { shared -> [Observer] in
            shared.latest = document
            return shared.observers.isEmpty ? [] : Array(shared.observers.values)
        }
        for observer in observers { observer(.document(document, written: written)) }
    }

    /// The agent is no longer followed: observers are told, and stay for its return.
    func end() {
        let observers = shared.withLock { shared -> [Observer] in
            shared.latest = nil
            return Array(shared.observers.values)
        }
        for observer in observers { observer(.ended) }
    }

    /// Calls `observer` with everything from now on; returns the token that
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
