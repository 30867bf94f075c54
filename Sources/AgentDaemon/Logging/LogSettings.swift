import Glibc
import Locking
import Logging
import Systemd

/// The log output: where entries go and from which level. Shared by every handler so
/// that a reload (SIGHUP) can change format and level at run time.
public final class LogSettings: Sendable {
    /// A resolved output (``DaemonConfiguration/LogFormat/auto`` decided).
    public enum Output: String, Sendable, Equatable {
        case journal, json, text
    }

    private struct State {
        var output: Output
        var level: Logger.Level
    }

    private let state: Locked<State>
    /// `SYSLOG_IDENTIFIER` of journal entries (`gws-agentd`, `gws-agentd@site1`).
    public let identifier: String
    /// Where JSON and text lines go (standard error, or a test's sink).
    let sink: @Sendable (String) -> Void

    public init(
        output: Output, level: Logger.Level, identifier: String,
        sink: @escaping @Sendable (String) -> Void = LogSettings.standardError
    ) {
        state = Locked(State(output: output, level: level))
        self.identifier = identifier
        self.sink = sink
    }

    public var output: Output { state.withLock { $0.output } }
    public var level: Logger.Level { state.withLock { $0.level } }

    /// Changes format and level for every logger at once.
    public func update(output: Output, level: Logger.Level) {
        state.withLock { $0 = State(output: output, level: level) }
    }

    /// Resolves `auto`: the journal when standard error is connected to it, text on a
    /// terminal, JSON lines otherwise.
    public static func resolve(_ format: DaemonConfiguration.LogFormat, environment: [String: String]) -> Output {
        switch format {
        case .journal: return .journal
        case .json: return .json
        case .text: return .text
        case .auto:
            if Journal.standardErrorIsJournal(environment: environment) { return .journal }
            return isatty(2) == 1 ? .text : .json
        }
    }

    /// Writes one line to standard error, whole.
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(2, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
