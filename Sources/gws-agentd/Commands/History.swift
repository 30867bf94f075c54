import AgentDaemon
import AgentOperator
import ArgumentParser

extension GWSAgentd {
    /// `gws-agentd history`: what agents did, read back from the journal.
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show agents' state changes from the journal, or the time per state (--summary).",
            discussion: """
                Reads the entries the daemon wrote for each change of an agent's state (and each \
                resync, lost connection and stop) back from the journal with sd-journal. Times: RFC \
                3339, @SECONDS, now, today (midnight UTC), or back from now (-30m, -8h, -7d). Time the \
                journal cannot account for (before an agent's first entry in the window, while the \
                connection to GWS was lost, while the daemon was down, before the journal's oldest \
                entry) is reported as unknown, never guessed. Reading the system journal needs \
                membership of systemd-journal or adm.

                Exit status: 0 read, 1 the journal could not be read, 64 a bad time, 77 the journal \
                could not be opened.
                """)

        @Option(help: "Only this agent (its GWS username).")
        var agent: String?

        @Option(parsing: .unconditional, help: "Start of the window (default -24h).")
        var since = "-24h"

        @Option(parsing: .unconditional, help: "End of the window (default now).")
        var until = "now"

        @Flag(help: "Print each agent's time per state, reason, work mode and DND instead of the changes.")
        var summary = false

        @Flag(help: "Print JSON lines instead of text.")
        var json = false

        @Option(help: "Read the journal files in this directory instead of the system's journal.")
        var directory: String?

        func run() throws {
            let now = WallClock.now()
            guard let from = HistoryTime.parse(since, now: now) else {
                throw ValidationError("--since \(since) is not a time (RFC 3339, @SECONDS, now, today, -30m)")
            }
            guard let to = HistoryTime.parse(until, now: now), to >= from else {
                throw ValidationError("--until \(until) is not a time at or after --since")
            }
            let status = HistoryReport.run(
                HistoryReport.Request(
                    agent: agent, since: from, until: to, summary: summary, json: json, directory: directory),
                now: now, console: .standard)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
