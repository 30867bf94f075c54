import Glibc

/// One inotify instance: the project's one way to learn that a file changed, used by
/// `gws-agentd status --watch` and by the benchmark that times the state file's renames.
///
/// Ownership: the descriptor is opened in `init` and closed in `deinit`, and only this
/// object reads it. `@unchecked Sendable` because ``read(timeout:)`` is meant for one
/// reading thread at a time (each user owns its instance); ``add(_:mask:)`` and
/// ``remove(_:)`` are plain system calls, safe from any thread.
public final class Inotify: @unchecked Sendable {
    /// One event: the watch it came from, what happened, and the name of the entry (in a
    /// watched directory; empty for the directory itself).
    public struct Event: Sendable, Equatable {
        public var watch: Int32
        public var mask: UInt32
        public var name: String
    }

    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// `nil` (with `errno` set) when the kernel refuses a new instance.
    public init?() {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
    }

    deinit { close(descriptor) }

    /// Watches `path` for the events in `mask`; returns the watch, or -1 with `errno` set.
    public func add(_ path: String, mask: UInt32) -> Int32 { inotify_add_watch(descriptor, path, mask) }

    /// Stops a watch.
    public func remove(_ watch: Int32) { _ = inotify_rm_watch(descriptor, watch) }

    /// Waits up to `timeout` milliseconds (-1: for ever) for events; returns them (empty
    /// when the time ran out or a signal interrupted the wait), or `nil` on an error
    /// (`errno` set).
    public func read(timeout: Int32) -> [Event]? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeout)
        if ready < 0 { return errno == EINTR ? [] : nil }
        if ready == 0 { return [] }
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 { return errno == EINTR || errno == EAGAIN ? [] : nil }
        return Self.parse(buffer, count: count)
    }

    /// The events in the first `count` bytes of `bytes`, as the kernel packs them.
    static func parse(_ bytes: [UInt8], count: Int) -> [Event] {
        var events: [Event] = []
        let header = MemoryLayout<inotify_event>.size
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + header <= count {
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                let start = offset + header
                let end = min(count, start + Int(event.len))
                let name = raw[start..<end].prefix { $0 != 0 }
                events.append(Event(watch: event.wd, mask: event.mask, name: String(decoding: name, as: UTF8.self)))
                offset = start + Int(event.len)
            }
        }
        return events
    }
}
