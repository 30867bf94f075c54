import Locking

/// How many `set` and `states` requests may be in flight at once, per client and per agent:
/// one client cannot start more GWS requests than this, nor can every client together on
/// one agent.
final class InFlightLimits: Sendable {
    /// Requests one client may have in flight.
    static let perClient = 4
    /// Requests in flight for one agent, from every client together.
    static let perAgent = 8

    private struct State {
        var byClient: [Int: Int] = [:]
        var byAgent: [String: Int] = [:]
    }

    private let state = Locked(State())

    /// Takes a place for a request of `client` on `agent`; `nil` when both limits allow it,
    /// else why not. Every place taken is given back with ``release(client:agent:)``.
    func acquire(client: Int, agent: String) -> String? {
        state.withLock { state in
            if state.byClient[client, default: 0] >= Self.perClient {
                return "this client has \(Self.perClient) requests in flight already"
            }
            if state.byAgent[agent, default: 0] >= Self.perAgent {
                return "\(Self.perAgent) requests for \(agent) are in flight already"
            }
            state.byClient[client, default: 0] += 1
            state.byAgent[agent, default: 0] += 1
            return nil
        }
    }

    /// Gives back a place taken by ``acquire(client:agent:)``.
    func release(client: Int, agent: String) {
        state.withLock { state in
            state.byClient[client, default: 1] -= 1
            if state.byClient[client] == 0 { state.byClient[client] = nil }
            state.byAgent[agent, default: 1] -= 1
            if state.byAgent[agent] == 0 { state.byAgent[agent] = nil }
        }
    }
}
