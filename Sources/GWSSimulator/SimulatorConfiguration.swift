/// What a simulator instance serves.
///
/// The defaults are as strict as GWS: CSRF checked on every POST (CometD included), HTTP
/// sessions that expire after 30 minutes without a request, and on a cluster, sessions
/// that live on one node only.
public struct SimulatorConfiguration: Sendable {
    /// The agents, keyed by user name; each authenticates with its own password.
    public var agents: [SimulatedAgent]
    /// CometD server options.
    public var cometd: CometDSettings
    /// Answer operations in the pre-release `{"status":"ok"}` format instead of `statusCode`.
    public var legacyReplies: Bool
    /// Serve the `/sim/control` endpoint (faults, counters, the agent's true state).
    public var controlEndpoint: Bool
    /// How many nodes serve the cluster, on consecutive ports. HTTP and Bayeux sessions are
    /// node-local; agents (the contact center behind GWS) are shared.
    public var nodes: Int
    /// An HTTP session unused for this long is gone (GWS's sample configuration: 1800 s).
    public var httpSessionTimeout: Duration
    /// Check the CSRF token on CometD POSTs too (GWS may; the strict reading is that it does).
    public var csrfOnCometD: Bool

    public init(
        agents: [SimulatedAgent] = [SimulatedAgent(username: "agent1", password: "secret")],
        cometd: CometDSettings = CometDSettings(), legacyReplies: Bool = false, controlEndpoint: Bool = true,
        nodes: Int = 1, httpSessionTimeout: Duration = .seconds(1800), csrfOnCometD: Bool = true
    ) {
        self.agents = agents
        self.cometd = cometd
        self.legacyReplies = legacyReplies
        self.controlEndpoint = controlEndpoint
        self.nodes = max(1, nodes)
        self.httpSessionTimeout = httpSessionTimeout
        self.csrfOnCometD = csrfOnCometD
    }
}
