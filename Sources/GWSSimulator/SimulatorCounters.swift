import Locking

/// Running totals of what the simulator saw, for tests and the control endpoint.
public final class SimulatorCounters: Sendable {
    /// What is counted.
    public enum Key: String, Sendable, CaseIterable {
        case requests
        case restRequests = "rest_requests"
        case handshakes, connects
        case duplicateConnects = "duplicate_connects"
        case unknownSession = "unknown_session"
        case sessionsSwept = "sessions_swept"
        case messagesDelivered = "messages_delivered"
        case operations
        /// Call changes: rung, dialed, answered, held, retrieved, released.
        case callOperations = "call_operations"
        case faultsApplied = "faults_applied"
        case authFailures = "auth_failures"
        case csrfFailures = "csrf_failures"
        case httpSessionsCreated = "http_sessions_created"
        case httpSessionsExpired = "http_sessions_expired"
    }

    private let values = Locked<[Key: Int]>([:])

    public init() {}

    func increment(_ key: Key) { add(key, 1) }

    func add(_ key: Key, _ amount: Int) {
        values.withLock { $0[key, default: 0] += amount }
    }

    /// The current value of `key`.
    public subscript(key: Key) -> Int { values.withLock { $0[key, default: 0] } }

    /// All values, by key name.
    public var snapshot: [String: Int] {
        values.withLock { values in
            Dictionary(uniqueKeysWithValues: Key.allCases.map { ($0.rawValue, values[$0, default: 0]) })
        }
    }
}
