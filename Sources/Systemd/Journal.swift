import CSystemd
import Glibc

/// Native journal entries through `sd_journal_sendv(3)`, with structured fields.
public enum Journal {
    /// Sends one entry. `fields` are (NAME, value) pairs; names must already be valid
    /// journal field names (see ``fieldName(for:)``); `MESSAGE` and `PRIORITY` should be
    /// among them. Values may contain newlines.
    /// - Returns: whether journald accepted the entry.
    @discardableResult
    public static func send(_ fields: [(name: String, value: String)]) -> Bool {
        let lines = fields.map { Array("\($0.name)=\($0.value)".utf8) }
        return withIOVecs(lines) { vectors in
            gws_sd_journal_sendv(vectors.baseAddress, Int32(vectors.count)) == 0
        }
    }

    /// Builds one `iovec` per line over buffers that live for the duration of `body`.
    private static func withIOVecs<R>(_ lines: [[UInt8]], _ body: (UnsafeBufferPointer<iovec>) -> R) -> R {
        let total = lines.reduce(0) { $0 + $1.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(total, 1)) { storage in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: max(lines.count, 1)) { vectors in
                var offset = 0
                for (index, line) in lines.enumerated() {
                    let start = storage.baseAddress.map { $0 + offset }
                    _ = UnsafeMutableBufferPointer(rebasing: storage[offset..<(offset + line.count)]).initialize(
                        from: line)
                    vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(start), iov_len: line.count)
                    offset += line.count
                }
                return body(UnsafeBufferPointer(rebasing: vectors[0..<lines.count]))
            }
        }
    }

    /// Whether standard error is connected to the journal: `$JOURNAL_STREAM` holds the
    /// device and inode of the stream systemd connected, compared with fd 2's (as
    /// systemd.exec(5) asks, rather than only testing that the variable is set).
    public static func standardErrorIsJournal(environment: [String: String]) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// The journal field name for a dotted metadata key: upper case, `_` for anything
    /// but letters and digits, an `X_` prefix when it would start with a digit or `_`,
    /// at most 64 characters (journald silently drops invalid names).
    public static func fieldName(for key: String) -> String? {
        var name = String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
        while name.hasSuffix("_") { name.removeLast() }
        guard let first = name.first else { return nil }
        if first == "_" || first.isNumber { name = "X_" + name }
        return String(name.prefix(64))
    }

    /// The syslog priority of a level name (`debug`…`critical`), as journald expects.
    public static func priority(ofLevel level: String) -> Int {
        switch level {
        case "trace", "debug": return 7
        case "info": return 6
        case "notice": return 5
        case "warning": return 4
        case "error": return 3
        default: return 2
        }
    }
}
