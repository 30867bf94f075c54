/// The time line of agents over a window, built from ``HistoryEvent``s in time order:
/// for each agent, consecutive segments, each either a known status or a gap with why.
///
/// Honest about what the journal cannot say: time before an agent's first entry in the
/// window (unless that entry says how long the status before it lasted), a lost
/// connection until the next resync, the daemon stopping or disappearing (a new process
/// id without a stop) until the next resync, and whatever the journal no longer holds.
/// Work is linear in the events; memory is one open segment per agent plus the segments.
public struct AgentHistory: Sendable {
    /// A stretch of one agent's time.
    public struct Segment: Sendable, Equatable {
        public var agent: String
        public var from: Double
        public var until: Double
        /// The status, or `nil` for a gap.
        public var status: AgentStatus?
        /// Why the status is not known (a gap only).
        public var gap: String?

        public var seconds: Double { max(0, until - from) }
    }

    /// Gaps' reasons.
    public enum Gap {
        public static let beforeFirstEntry = "no entry before this in the window"
        public static let connectionLost = "connection to GWS lost"
        public static let daemonStopped = "daemon stopped"
        public static let daemonGone = "daemon ended without a stop entry"
    }

    public let from: Double
    public let until: Double
    public private(set) var segments: [Segment] = []
    /// Each agent's open segment.
    private var open: [String: (since: Double, status: AgentStatus?, gap: String?, pid: String?)] = [:]
    /// The last entry's time of each daemon process.
    private var lastSeen: [String: Double] = [:]
    /// The agents in the order first seen.
    public private(set) var agents: [String] = []
    /// Events taken (those outside the window or out of order are counted, not used).
    public private(set) var eventsUsed = 0
    public private(set) var eventsSkipped = 0

    /// - Parameters: from, until: the window, in seconds since the epoch.
    public init(from: Double, until: Double) {
        self.from = from
        self.until = max(from, until)
    }

    /// Takes the next event (events must come oldest first; an older one is skipped).
    public mutating func add(_ event: HistoryEvent) {
        guard event.time >= from, event.time <= until else {
            eventsSkipped += 1
            return
        }
        eventsUsed += 1
        if event.kind == .daemonStopping {
            for (agent, segment) in open where segment.pid == event.pid && segment.gap == nil {
                close(agent, at: event.time, next: (event.time, nil, Gap.daemonStopped, event.pid))
            }
            if let pid = event.pid { lastSeen[pid] = event.time }
            return
        }
        guard let agent = event.agent else { return }
        defer { if let pid = event.pid { lastSeen[pid] = event.time } }
        if let current = open[agent] {
            guard event.time >= current.since else {
                eventsSkipped += 1
                return
            }
            // A new daemon process without a stop entry: the old one's last word ends what it knew.
            if let pid = event.pid, let old = current.pid, pid != old, current.gap == nil {
                let end = min(max(current.since, lastSeen[old] ?? current.since), event.time)
                close(agent, at: end, next: (end, nil, Gap.daemonGone, event.pid))
            }
        } else {
            agents.append(agent)
            start(agent, before: event)
        }
        switch event.kind {
        case .change, .resync:
            close(agent, at: event.time, next: (event.time, event.status, nil, event.pid))
        case .connectionLost:
            if open[agent]?.gap == nil {
                close(agent, at: event.time, next: (event.time, nil, Gap.connectionLost, event.pid))
            }
        case .daemonStopping:
            break
        }
    }

    /// The segments up to `until` (or `now`, when sooner), every agent's last one closed.
    public func finished(now: Double) -> [Segment] {
        var copy = self
        let end = min(until, max(from, now))
        for agent in agents { copy.close(agent, at: end, next: nil) }
        return copy.segments
    }

    /// The first event of `agent` in the window: what it says about the time before it.
    private mutating func start(_ agent: String, before event: HistoryEvent) {
        var gapStart = from
        if event.kind == .change, let previous = event.previous, let seconds = event.previousSeconds {
            gapStart = max(from, event.time - seconds)
            if gapStart > from {
                segments.append(
                    Segment(agent: agent, from: from, until: gapStart, status: nil, gap: Gap.beforeFirstEntry))
            }
            open[agent] = (gapStart, previous, nil, event.pid)
            return
        }
        open[agent] = (from, nil, Gap.beforeFirstEntry, event.pid)
    }

    /// Ends `agent`'s open segment at `time` and opens `next` (none when `nil`).
    private mutating func close(
        _ agent: String, at time: Double, next: (since: Double, status: AgentStatus?, gap: String?, pid: String?)?
    ) {
        if let current = open[agent], time > current.since {
            segments.append(
                Segment(agent: agent, from: current.since, until: time, status: current.status, gap: current.gap))
        }
        open[agent] = next
    }
}
