/// Checks a configuration file's text before any YAML parser sees it.
///
/// The daemon's configuration is a plain block mapping of sections and scalar or list
/// values. Two YAML features it never needs are refused up front, because the parser
/// behind swift-configuration (Yams) handles them in time or memory that grows
/// exponentially with the input (found by fuzzing: a 2.6 KB file kept a core busy for
/// minutes): explicit complex keys (`? key`), and anchors with aliases (`&a` … `*a`, the
/// "billion laughs" shape).
enum YAMLGuard {
    /// What was found, with its 1-based line.
    struct Refusal: Equatable {
        var line: Int
        var problem: String
    }

    /// The first unsupported construct in `text`, if any.
    static func firstRefusal(in text: String) -> Refusal? {
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if let problem = problem(in: Array(line.utf8)) { return Refusal(line: lineNumber, problem: problem) }
        }
        return nil
    }

    /// Scans one line outside quoted strings and comments for an indicator token.
    private static func problem(in line: [UInt8]) -> String? {
        var quote: UInt8?
        var previous: UInt8 = 0x20
        for (index, byte) in line.enumerated() {
            let next = index + 1 < line.count ? line[index + 1] : 0x20
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == 0x22 || byte == 0x27 {  // " '
                if isSeparator(previous) { quote = byte }
            } else if byte == 0x23, isSpace(previous) {  // # starts a comment
                return nil
            } else if isSeparator(previous) {
                if byte == 0x3F, isSpace(next) { return "explicit keys ('? ') are not supported" }
                if byte == 0x26 || byte == 0x2A, !isSpace(next) {  // & *
                    return "anchors and aliases ('&name', '*name') are not supported"
                }
            }
            previous = byte
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }

    /// Where a YAML indicator may start a token: after spaces and flow or block punctuation.
    private static func isSeparator(_ byte: UInt8) -> Bool {
        isSpace(byte) || byte == 0x2D || byte == 0x5B || byte == 0x7B || byte == 0x2C || byte == 0x3A  // - [ { , :
    }
}
