/// The time each agent spent per state, reason, work mode and DND over a window, and the
/// time nobody knows about (with why): the figures an adherence report needs.
public struct HistorySummary: Sendable, Equatable {
    /// One agent's totals, in seconds.
    public struct Totals: Sendable, Equatable {
        public var agent: String
        public var states: [String: Double] = [:]
        /// Time Not Ready per reason (`none` without one).
        public var reasons: [String: Double] = [:]
        public var workModes: [String: Double] = [:]
        /// `on`, `off`, `unknown`.
        public var dnd: [String: Double] = [:]
        /// Time with no known status, per gap reason.
        public var gaps: [String: Double] = [:]

        public var knownSeconds: Double { states.values.reduce(0, +) }
        public var unknownSeconds: Double { gaps.values.reduce(0, +) }
    }

    public var from: Double
    public var until: Double
    public var agents: [Totals]

    /// Adds up `segments`, one ``Totals`` per agent in the order first seen.
    public init(from: Double, until: Double, segments: [AgentHistory.Segment]) {
        self.from = from
        self.until = until
        var order: [String] = []
        var totals: [String: Totals] = [:]
        for segment in segments {
            if totals[segment.agent] == nil {
                order.append(segment.agent)
                totals[segment.agent] = Totals(agent: segment.agent)
            }
            let seconds = segment.seconds
            guard let status = segment.status else {
                totals[segment.agent]?.gaps[segment.gap ?? "unknown", default: 0] += seconds
                continue
            }
            totals[segment.agent]?.states[status.state, default: 0] += seconds
            if status.state != "Ready" {
                totals[segment.agent]?.reasons[status.reason ?? "none", default: 0] += seconds
            }
            if let workMode = status.workMode { totals[segment.agent]?.workModes[workMode, default: 0] += seconds }
            let dnd = status.dnd.map { $0 ? "on" : "off" } ?? "unknown"
            totals[segment.agent]?.dnd[dnd, default: 0] += seconds
        }
        agents = order.compactMap { totals[$0] }
    }
}
