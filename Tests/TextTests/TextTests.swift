import Foundation
import Testing
import Text

@Suite("Text helpers")
struct TextTests {
    @Test("Trimming removes white space at both ends only")
    func trimming() {
        #expect("  a b \t\n".trimmingWhitespace == "a b")
        #expect("\n\n".trimmingWhitespace == "")
        #expect("x".trimmingWhitespace == "x")
        #expect(" 7 "[...].trimmingWhitespace == "7")
    }

    @Test("Server text: control characters escaped, one line, length capped")
    func sanitized() {
        #expect(ServerText.sanitized("ok\nFORGED: line\u{1B}[31m") == "ok\\u{a}FORGED: line\\u{1b}[31m")
        #expect(ServerText.sanitized("tab\there") == "tab here")
        #expect(
            ServerText.sanitized(String(repeating: "x", count: 500), limit: 10) == String(repeating: "x", count: 10)
                + "…")
        #expect(ServerText.sanitized("bidi \u{202E}override") == "bidi \\u{202e}override")
    }

    @Test("An excerpt is the first non-empty line of a text body; none for HTML or an empty body")
    func excerpt() {
        #expect(
            ServerText.excerpt(of: Array("\n  Missing or invalid Csrf token  \nmore".utf8))
                == "Missing or invalid Csrf token")
        #expect(ServerText.excerpt(of: Array("<html><body>503</body></html>".utf8)) == nil)
        #expect(ServerText.excerpt(of: []) == nil)
        #expect(ServerText.excerpt(of: Array(String(repeating: "y", count: 300).utf8), limit: 5) == "yyyyy…")
    }
}

/// Server text in the state file and `STATUS=`: capped by what is written, and stable.
@Suite("Sanitized server text")
struct SanitizedTextTests {
    @Test("The cap counts the escapes, and sanitizing twice changes nothing")
    func idempotent() {
        let hostile = String(repeating: "\u{1b}[2J", count: 100) + "tail"
        let once = ServerText.sanitized(hostile, limit: 50)
        #expect(once.count <= 51)
        #expect(!once.unicodeScalars.contains { $0.properties.generalCategory == .control })
        #expect(ServerText.sanitized(once, limit: 50) == once)
        let plain = String(repeating: "a", count: 80)
        let capped = ServerText.sanitized(plain, limit: 50)
        #expect(capped == String(repeating: "a", count: 50) + "…")
        #expect(ServerText.sanitized(capped, limit: 50) == capped)
        #expect(ServerText.sanitized("a\tb\nc") == "a b\\u{a}c")
    }
}
