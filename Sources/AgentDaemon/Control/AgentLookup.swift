import ControlSocket

/// Finds the agent a control request is for, by its `agent` member: the agent of that
/// name, or the only agent when the request names none (``AgentChoice``).
struct AgentLookup: Sendable {
    let fleet: AgentFleet

    /// The runner of `name` (of the only agent when `nil`), or why there is none.
    func runner(named name: String?) -> Result<AgentRunner, AgentLookupError> {
        switch AgentChoice.choose(name, among: fleet.usernames, by: .daemon) {
        case .failure(let refusal):
            return .failure(AgentLookupError(code: .unknownAgent, refusal.description))
        case .success(let chosen):
            guard let runner = fleet.runner(of: chosen) else {
                return .failure(
                    AgentLookupError(
                        code: .unavailable,
                        "the agent \(chosen) has no GWS session now (its session gave up; waiting to retry)"))
            }
            return .success(runner)
        }
    }
}

/// Why no agent answers a request, with the control protocol's error code.
struct AgentLookupError: Error, CustomStringConvertible {
    let code: ControlError.Code
    let description: String

    init(code: ControlError.Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
