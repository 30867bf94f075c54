import AgentDaemon
import AgentState
import Glibc

/// What `gws-agentd status` finds at a state-file path: the document (or why there is
/// none), how old the file is, and whether its writer still runs.
public struct StateFileInspection: Sendable {
    public var path: String
    public var result: Result<StateDocument, StateFileError>?
    /// Seconds since the file's mtime (the daemon's heartbeat), on the wall clock.
    public var age: Double?
    /// Whether the process that wrote the file still exists.
    public var writerAlive: Bool?

    /// Reads `path` now. `nil` result: the file is missing or unreadable.
    public static func inspect(_ path: String) -> StateFileInspection {
        var inspection = StateFileInspection(path: path, result: nil, age: nil, writerAlive: nil)
        guard let bytes = try? FileInfo.read(path, limit: 1 << 20) else { return inspection }
        inspection.age = FileInfo.modificationTime(path).map { max(0, WallClock.now() - $0) }
        do {
            let document = try StateDocument.decode(bytes)
            inspection.result = .success(document)
            inspection.writerAlive = Self.processExists(document.pid)
        } catch {
            inspection.result = .failure(error)
        }
        return inspection
    }

    /// Whether a process with this id exists (it may belong to another user).
    static func processExists(_ pid: Int) -> Bool {
        guard pid > 0, let id = pid_t(exactly: pid) else { return false }
        return kill(id, 0) == 0 || errno == EPERM
    }

    /// The default state file: that of an instance (`/run/gws-agentd@NAME/state.json`),
    /// else `$RUNTIME_DIRECTORY/state.json`, else `/run/gws-agentd/state.json`.
    public static func defaultPath(instance: String?, environment: [String: String]) -> String {
        RuntimeFiles.directory(instance: instance, environment: environment) + "/state.json"
    }
}

/// The monitoring-plugin verdict on a state file (Nagios/Icinga exit codes).
public enum StatusVerdict: Int32, Sendable, Equatable {
    /// Connected and synced.
    case ok = 0
    /// Not connected, or not synced.
    case warning = 1
    /// Stale (mtime older than 3 × heartbeat) or written by a process that is gone.
    case critical = 2
    /// Missing or unreadable.
    case unknown = 3

    public var label: String {
        switch self {
        case .ok: return "OK"
        case .warning: return "WARNING"
        case .critical: return "CRITICAL"
        case .unknown: return "UNKNOWN"
        }
    }
}

extension StateFileInspection {
    /// The verdict and its one-line reason.
    public var verdict: (StatusVerdict, String) {
        guard let result else { return (.unknown, "no readable state file at \(path)") }
        switch result {
        case .failure(let error):
            return (.unknown, "\(path): \(error)")
        case .success(let document):
            if writerAlive == false {
                return (.critical, "written by process \(document.pid), which is gone")
            }
            if let age, age > Double(3 * document.heartbeatSeconds) {
                return (
                    .critical,
                    "stale: last updated \(Self.duration(age)) ago (heartbeat \(document.heartbeatSeconds) s)"
                )
            }
            let agent = "\(document.agent.username) \(StatusText.agentLine(document.agent))"
            if !document.connection.connected {
                return (.warning, "\(agent); \(StatusText.connectionLine(document.connection))")
            }
            if !document.agent.synced { return (.warning, "\(agent); connected, not synced") }
            return (.ok, "\(agent); connected, synced")
        }
    }

    /// "42 s", "3 min", "2 h".
    static func duration(_ seconds: Double) -> String {
        if seconds < 120 { return "\(Int(seconds.rounded())) s" }
        if seconds < 7200 { return "\(Int((seconds / 60).rounded())) min" }
        return "\(Int((seconds / 3600).rounded())) h"
    }
}
