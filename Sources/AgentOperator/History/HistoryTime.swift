import AgentState

/// The times `history --since` and `--until` accept: RFC 3339 (`2026-12-07T09:00:00Z`),
/// `@SECONDS` since the epoch, `now`, `today` (midnight UTC), or a span back from now
/// (`-90s`, `-30m`, `-8h`, `-7d`).
public enum HistoryTime {
    /// Seconds since the epoch, or `nil` when `text` is none of the accepted forms.
    public static func parse(_ text: String, now: Double) -> Double? {
        switch text {
        case "now": return now
        case "today": return (now / 86_400).rounded(.down) * 86_400
        default: break
        }
        if text.hasPrefix("@") {
            guard let value = Double(text.dropFirst()), value.isFinite, value >= 0 else { return nil }
            return value
        }
        if text.hasPrefix("-"), let unit = text.last, let count = Double(text.dropFirst().dropLast()), count >= 0,
            count.isFinite
        {
            let scale: Double
            switch unit {
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86_400
            default: return nil
            }
            return now - count * scale
        }
        return Timestamp.parse(text)
    }
}
