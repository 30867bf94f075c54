import Foundation

/// A directory under /tmp removed when the test is done with it.
public final class TemporaryDirectory: @unchecked Sendable {
    // Immutable after init; the directory itself is only touched by the owning test.
    public let path: String

    /// - Parameter memory: on tmpfs (`/dev/shm`, when there is one) rather than `/tmp`: for
    ///   tests that write many files, where a disk's fsync would be most of their time.
    public init(memory: Bool = false) throws {
        let base = memory && FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : "/tmp"
        var template = Array("\(base)/gws-agentd-test.XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: result)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` in the directory with `mode`; returns the full path.
    @discardableResult
    public func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, mode_t(mode))
        return file
    }

    public func read(_ name: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: path + "/" + name))).map { String(decoding: $0, as: UTF8.self) }
    }
}
