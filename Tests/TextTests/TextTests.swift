import FileWatch
import Foundation
import Testing
import Text

@Suite("Text helpers and the inotify watcher")
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

    @Test("inotify reports a rename into a watched directory with the entry's name")
    func inotifyRename() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("filewatch-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inotify = try #require(Inotify())
        #expect(inotify.add(directory, mask: UInt32(IN_MOVED_TO)) >= 0)
        #expect(inotify.read(timeout: 0) == [])
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/state.json.tmp"))
        #expect(rename(directory + "/state.json.tmp", directory + "/state.json") == 0)
        let events = try #require(inotify.read(timeout: 5000))
        #expect(events.map(\.name) == ["state.json"])
        #expect(events.allSatisfy { $0.mask & UInt32(IN_MOVED_TO) != 0 })
        #expect(inotify.add(directory + "/missing", mask: UInt32(IN_CREATE)) < 0)
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
