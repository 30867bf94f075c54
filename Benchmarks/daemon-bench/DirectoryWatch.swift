import Foundation
import Glibc
import Locking

/// Nanoseconds of `CLOCK_MONOTONIC`: the one clock every timestamp in this benchmark uses.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Records when a file is renamed into a directory (`IN_MOVED_TO`), the way readers of the
/// state file learn of an update. A dedicated thread blocks in `read(2)` on the inotify
/// descriptor and stamps each event as it arrives.
///
/// The descriptor is owned here: opened in `init`, closed by ``stop()`` after the reading
/// thread has seen the wake-up write.
final class DirectoryWatch: Sendable {
    private let descriptor: Int32
    private let wakeUp: (read: Int32, write: Int32)
    private let renames = Locked<[UInt64]>([])
    private let done = Locked(false)

    /// Watches `directory` for renames onto `name`.
    init?(directory: String, name: String) {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0, inotify_add_watch(descriptor, directory, UInt32(IN_MOVED_TO)) >= 0 else { return nil }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return nil }
        wakeUp = (pipeEnds[0], pipeEnds[1])
        let thread = Thread { [self] in readEvents(name: name) }
        thread.start()
    }

    /// The rename timestamps seen so far.
    var timestamps: [UInt64] { renames.withLock { $0 } }

    /// Ends the reading thread and closes the descriptors.
    func stop() {
        var byte: UInt8 = 1
        _ = write(wakeUp.write, &byte, 1)
        while !done.withLock({ $0 }) { usleep(1_000) }
        close(descriptor)
        close(wakeUp.read)
        close(wakeUp.write)
    }

    private func readEvents(name: String) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var fds = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeUp.read, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            guard poll(&fds, 2, -1) > 0 else { continue }
            if fds[1].revents != 0 { break }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            let stamp = monotonicNanoseconds()
            guard count > 0 else { continue }
            var offset = 0
            var seen = 0
            buffer.withUnsafeBytes { raw in
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let event = raw.load(fromByteOffset: offset, as: inotify_event.self)
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    let nameBytes = raw[nameStart..<(nameStart + Int(event.len))].prefix { $0 != 0 }
                    if String(decoding: nameBytes, as: UTF8.self) == name { seen += 1 }
                    offset = nameStart + Int(event.len)
                }
            }
            if seen > 0 { renames.withLock { $0 += Array(repeating: stamp, count: seen) } }
        }
        done.withLock { $0 = true }
    }
}
