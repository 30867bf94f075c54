import AgentState
import JSON
import Logging
import Systemd
import Text

/// The daemon's swift-log handler: journal entries with native fields, JSON lines, or
/// text, as ``LogSettings`` says at the moment of each event.
///
/// Metadata keys are dotted (`agent.state`); the journal gets them as upper-case
/// fields (`AGENT_STATE`), JSON lines as members with the same dotted names.
public struct DaemonLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let settings: LogSettings
    private var levelOverride: Logger.Level?

    public init(label: String, settings: LogSettings) {
        self.label = label
        self.settings = settings
    }

    public var logLevel: Logger.Level {
        get { levelOverride ?? settings.level }
        set { levelOverride = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let fields = merged.map { ($0.key, "\($0.value)") }.sorted { $0.0 < $1.0 }
        let error = event.error.map { "\($0)" }
        switch settings.output {
        case .journal:
            Journal.send(journalFields(event, fields: fields, error: error))
        case .json:
            settings.sink(jsonLine(event, fields: fields, error: error))
        case .text:
            settings.sink(textLine(event, fields: fields, error: error))
        }
    }

    func journalFields(_ event: LogEvent, fields: [(String, String)], error: String?) -> [(name: String, value: String)]
    {
        var entry: [(name: String, value: String)] = [
            ("MESSAGE", "\(event.message)" + (error.map { ": \($0)" } ?? "")),
            ("PRIORITY", String(Journal.priority(ofLevel: event.level.rawValue))),
            ("SYSLOG_IDENTIFIER", settings.identifier),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
        ]
        for (key, value) in fields {
            if let name = Journal.fieldName(for: key), !Self.reservedFields.contains(name) {
                entry.append((name, value))
            }
        }
        return entry
    }

    /// Fields the handler sets itself; metadata may not replace them. (`MESSAGE_ID` comes
    /// from the metadata key ``MessageID/key`` of the events that carry one.)
    static let reservedFields: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
    ]

    func jsonLine(_ event: LogEvent, fields: [(String, String)], error: String?) -> String {
        var object: JSONObject = [
            "ts": .string(WallClock.timestamp()), "level": .string(event.level.rawValue),
            "logger": .string(label), "msg": .string("\(event.message)"),
        ]
        if let error { object["error"] = .string(error) }
        for (key, value) in fields where object[key] == nil { object[key] = .string(value) }
        return JSONWriter.string(.object(object))
    }

    /// One line of the text format: control characters in the message and the values
    /// escaped (`\u{…}`), so that no text from a server forges a log line or a terminal
    /// sequence; a value with a space or a quote is quoted, its quotes escaped.
    func textLine(_ event: LogEvent, fields: [(String, String)], error: String?) -> String {
        var line = "\(WallClock.timestamp()) \(event.level.rawValue): \(Self.safe("\(event.message)"))"
        if let error { line += ": \(Self.safe(error))" }
        for (key, value) in fields {
            let safe = Self.safe(value)
            let quoted = safe.isEmpty || safe.contains(" ") || safe.contains("\"")
            line += " \(key)=" + (quoted ? "\"" + safe.replacing("\"", with: "\\\"") + "\"" : safe)
        }
        return line
    }

    /// `text` on one line, control characters escaped.
    static func safe(_ text: String) -> String { ServerText.sanitized(text, limit: 4096) }
}
