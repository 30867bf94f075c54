import AgentDaemon
import Glibc
import Text

/// Where a command writes: standard output for results, standard error for problems.
public struct Console: Sendable {
    public var out: @Sendable (String) -> Void
    public var error: @Sendable (String) -> Void

    public init(out: @escaping @Sendable (String) -> Void, error: @escaping @Sendable (String) -> Void) {
        self.out = out
        self.error = error
    }

    /// The process's standard output and standard error. Each line is written with its
    /// control characters escaped (`\u{…}`): what a server sent (a device name, a reason)
    /// cannot move the cursor, retitle the terminal or forge a second line.
    public static let standard = Console(
        out: { line in StandardStreams.write(terminalLine(line), to: 1) },
        error: { line in StandardStreams.write(terminalLine(line), to: 2) })

    /// `line` as written to a terminal: control characters escaped, then a newline.
    static func terminalLine(_ line: String) -> String {
        ServerText.sanitized(line, limit: .max) + "\n"
    }
}

/// Whole writes to a file descriptor, retried on interruption.
enum StandardStreams {
    static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
