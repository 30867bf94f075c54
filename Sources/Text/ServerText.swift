/// Text that came from a server (an error body, a reason phrase), made safe for a log
/// line, `STATUS=`, the state file or a terminal: control characters escaped so that it
/// cannot forge a log line or move a cursor, and its length capped.
public enum ServerText {
    /// `text` on one line: control characters (newlines, escape sequences, DEL, C1) as
    /// `\u{…}`, at most `limit` characters of output (then `…`). Sanitizing the result
    /// again changes nothing.
    public static func sanitized(_ text: some StringProtocol, limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            let isControl =
                scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
            if isControl && scalar != "\t" {
                let escape = "\\u{\(String(scalar.value, radix: 16))}"
                guard count + escape.count <= limit else {
                    out += "…"
                    break
                }
                out += escape
                count += escape.count
            } else {
                guard count < limit else {
                    out += "…"
                    break
                }
                out.unicodeScalars.append(isControl ? " " : scalar)
                count += 1
            }
        }
        return out
    }

    /// A short excerpt of an error response's body for a message: its first non-empty
    /// line, sanitized and capped; `nil` for an empty body or an HTML page (whose text is
    /// markup, not a reason).
    public static func excerpt(of body: [UInt8], limit: Int = 120) -> String? {
        let head = String(decoding: body.prefix(4 * limit), as: UTF8.self)
        guard
            let line = head.split(whereSeparator: \.isNewline).lazy
                .map({ $0.drop(while: \.isWhitespace) }).first(where: { !$0.isEmpty })
        else { return nil }
        if line.hasPrefix("<") { return nil }
        var trimmed = Substring(line)
        while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
        return sanitized(trimmed, limit: limit)
    }
}
