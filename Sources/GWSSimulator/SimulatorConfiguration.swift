/// What a simulator instance serves.
public struct SimulatorConfiguration: Sendable {
    /// The agents, keyed by user name; each authenticates with its own password.
    public var agents: [SimulatedAgent]
    /// CometD server options.
    public var cometd: CometDSettings
    /// Answer operations in the pre-release `{"status":"ok"}` format instead of `statusCode`.
    public var legacyReplies: Bool
    /// Serve the `/sim/control` endpoint (faults, counters, the agent's true state).
    public var controlEndpoint: Bool

    public init(
        agents: [SimulatedAgent] = [SimulatedAgent(username: "agent1", password: "secret")],
        cometd: CometDSettings = CometDSettings(), legacyReplies: Bool = false, controlEndpoint: Bool = true
    ) {
        self.agents = agents
        self.cometd = cometd
        self.legacyReplies = legacyReplies
        self.controlEndpoint = controlEndpoint
    }
}
