import AgentDaemon
import AgentState
import JSON
import Systemd

/// `gws-agentd history`: reads the state changes back from the journal and prints a time
/// line (each change, resync, lost connection and daemon stop) or, with `summary`, the
/// time per state, reason, work mode and DND of each agent over the window.
public enum HistoryReport {
    /// What to read and how to print it.
    public struct Request: Sendable {
        public var agent: String?
        /// The window, seconds since the epoch.
        public var since: Double
        public var until: Double
        public var summary: Bool
        public var json: Bool
        /// Journal files to read instead of the system's journal.
        public var directory: String?

        public init(agent: String?, since: Double, until: Double, summary: Bool, json: Bool, directory: String?) {
            self.agent = agent
            self.since = since
            self.until = until
            self.summary = summary
            self.json = json
            self.directory = directory
        }
    }

    /// Reads the journal and prints; the exit status says whether it could be read.
    public static func run(_ request: Request, now: Double = WallClock.now(), console: Console) -> ExitStatus {
        let reader: JournalReader
        do { reader = try JournalReader(directory: request.directory) } catch {
            console.error("gws-agentd history: \(error); members of systemd-journal or adm may read it")
            return .noPermission
        }
        var history = AgentHistory(from: request.since, until: request.until)
        do {
            try reader.read(
                messageIDs: Array(HistoryEvent.messageIDs.keys).sorted(), fields: HistoryEvent.fields,
                since: microseconds(request.since), until: microseconds(request.until)
            ) { entry in
                guard let event = HistoryEvent(realtime: entry.realtime, fields: entry.fields) else { return true }
                if let agent = request.agent, event.kind != .daemonStopping, event.agent != agent { return true }
                history.add(event)
                if !request.summary { console.out(line(for: event, json: request.json)) }
                return true
            }
        } catch {
            console.error("gws-agentd history: \(error)")
            return .failure
        }
        // What the journal no longer holds is said, not guessed.
        if let cutoff = reader.cutoff, Double(cutoff.from) / 1_000_000 > request.since {
            let note = "the journal starts at \(Timestamp.rfc3339(microseconds: cutoff.from)); earlier time is unknown"
            if request.json { console.error(note) } else { console.out("note: " + note) }
        }
        guard request.summary else { return .success }
        let summary = HistorySummary(
            from: request.since, until: min(request.until, max(request.since, now)),
            segments: history.finished(now: now))
        for line in lines(for: summary, json: request.json) { console.out(line) }
        return .success
    }

    static func microseconds(_ seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : seconds >= 1.8e13 ? UInt64.max : UInt64(seconds * 1_000_000)
    }

    /// One time-line line: text or JSON.
    static func line(for event: HistoryEvent, json: Bool) -> String {
        let at = Timestamp.rfc3339(microseconds: UInt64(max(0, event.time * 1_000_000)))
        if json {
            var object: JSONObject = ["at": .string(at), "event": .string(event.kind.rawValue)]
            if let agent = event.agent { object["agent"] = .string(agent) }
            if let pid = event.pid { object["pid"] = .string(pid) }
            if let status = event.status { object["status"] = status.json }
            if let previous = event.previous { object["previous"] = previous.json }
            if let seconds = event.previousSeconds { object["previous_seconds"] = .double(seconds) }
            return JSONWriter.string(.object(object))
        }
        let agent = event.agent ?? "*"
        switch event.kind {
        case .change:
            var text = "\(at)  \(agent)  \(event.status.map(text) ?? "?")"
            if let previous = event.previous {
                text += "  (was \(StatusText.stateText(previous.state, previous.workMode, previous.reason))"
                text += event.previousSeconds.map { " for \(StatusText.elapsed($0)))" } ?? ")"
            }
            return text
        case .resync: return "\(at)  \(agent)  \(event.status.map(text) ?? "?")  (resynced)"
        case .connectionLost: return "\(at)  \(agent)  unknown: connection to GWS lost"
        case .daemonStopping: return "\(at)  *  the daemon (pid \(event.pid ?? "?")) is stopping"
        }
    }

    static func text(_ status: AgentStatus) -> String {
        StatusText.stateText(status.state, status.workMode, status.reason) + ", "
            + StatusText.dndText(status.dnd)
    }

    /// The summary: per agent, seconds per state, reason, work mode, DND and gap.
    public static func lines(for summary: HistorySummary, json: Bool) -> [String] {
        let from = Timestamp.rfc3339(microseconds: microseconds(summary.from))
        let until = Timestamp.rfc3339(microseconds: microseconds(summary.until))
        if json {
            return summary.agents.map { totals in
                JSONWriter.string([
                    "agent": .string(totals.agent), "from": .string(from), "until": .string(until),
                    "known_s": .double(rounded(totals.knownSeconds)),
                    "unknown_s": .double(rounded(totals.unknownSeconds)),
                    "states": seconds(totals.states), "reasons": seconds(totals.reasons),
                    "work_modes": seconds(totals.workModes), "dnd": seconds(totals.dnd), "gaps": seconds(totals.gaps),
                ])
            }
        }
        var out = ["from \(from) until \(until)"]
        if summary.agents.isEmpty { out.append("no state change of any agent in the window") }
        for totals in summary.agents {
            out.append(
                "\(totals.agent): \(StatusText.elapsed(totals.knownSeconds)) known, "
                    + "\(StatusText.elapsed(totals.unknownSeconds)) unknown")
            for (title, values) in [
                ("state", totals.states), ("reason", totals.reasons), ("work mode", totals.workModes),
                ("DND", totals.dnd), ("unknown", totals.gaps),
            ] where !values.isEmpty {
                for (name, value) in values.sorted(by: {
                    $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key)
                }) {
                    out.append("  \(title.padding(9)) \(name.padding(24)) \(clock(value))")
                }
            }
        }
        return out
    }

    static func seconds(_ values: [String: Double]) -> JSONValue {
        .object(JSONObject(values.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.double(rounded($0.value))) }))
    }

    /// Milliseconds, as the journal's durations.
    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    /// "1:02:03" (hours, minutes, seconds), the form a report adds up.
    static func clock(_ seconds: Double) -> String {
        let total = Int64(max(0, seconds.rounded()))
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(total / 3600):\(two(total % 3600 / 60)):\(two(total % 60))"
    }
}

extension AgentStatus {
    var json: JSONValue {
        [
            "state": .string(state), "reason": reason.map(JSONValue.string) ?? .null,
            "work_mode": workMode.map(JSONValue.string) ?? .null, "dnd": dnd.map(JSONValue.bool) ?? .null,
        ]
    }
}

extension String {
    /// The string padded with spaces to `width` characters.
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

extension Timestamp {
    /// RFC 3339 of a journal time (microseconds since the epoch).
    static func rfc3339(microseconds: UInt64) -> String {
        rfc3339(seconds: Int64(microseconds / 1_000_000), nanoseconds: Int64(microseconds % 1_000_000) * 1000)
    }
}
