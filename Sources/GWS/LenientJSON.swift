import JSON
import Text

/// Lenient readers for GWS payload fields.
///
/// GWS documentation samples disagree on small things (a status code as `0` or `"0"`,
/// `"On"`/`"Off"` for DND), so every reader here accepts the reasonable spellings and
/// answers `nil` for anything else instead of failing the whole payload.
extension JSONValue {
    /// A non-empty string, or a number written as text (ids sometimes arrive as numbers).
    var lenientString: String? {
        switch self {
        case .string(let s): return s.isEmpty ? nil : s
        case .int(let i): return String(i)
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return String(Int64(d))
        default: return nil
        }
    }

    /// An integer given as a number or as decimal text (`"statusCode":"0"`).
    var lenientInt: Int? {
        if let i = intValue { return Int(exactly: i) }
        if case .string(let s) = self { return Int(s.trimmingWhitespace) }
        return nil
    }

    /// `On`/`Off` (any case), or a JSON boolean; `nil` for anything else.
    var onOff: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "on", "true": return true
            case "off", "false": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// The non-empty strings of an array; other elements are skipped.
    var stringElements: [String] {
        arrayValue?.compactMap(\.lenientString) ?? []
    }
}
