import Foundation
import Glibc
import Systemd
import Testing

/// A datagram socket standing in for systemd's notification socket.
final class NotifySocket {
    let path: String
    let fd: Int32

    init() throws {
        path = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or nil after two seconds.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

@Suite("sd_notify through libsystemd", .serialized)
struct SystemdNotifierTests {
    @Test("Notifications arrive as one datagram of KEY=VALUE lines; newlines in values are flattened")
    func datagrams() throws {
        let socket = try NotifySocket()
        setenv("NOTIFY_SOCKET", socket.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let notifier = SystemdNotifier()
        #expect(notifier.isEnabled)
        #expect(notifier.ready(status: "connected, Ready\nDND off"))
        #expect(socket.receive() == "READY=1\nSTATUS=connected, Ready DND off")
        #expect(notifier.reloading())
        let reload = try #require(socket.receive())
        #expect(reload.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        let usec = try #require(UInt64(reload.split(separator: "=").last ?? ""))
        #expect(usec <= SystemdNotifier.monotonicMicroseconds())
        #expect(notifier.stopping())
        #expect(socket.receive() == "STOPPING=1")
    }

    @Test("Without NOTIFY_SOCKET nothing is sent and nothing fails")
    func disabled() {
        unsetenv("NOTIFY_SOCKET")
        #expect(!SystemdNotifier().isEnabled)
        #expect(!SystemdNotifier().watchdog())
    }

    @Test("The watchdog timeout comes from WATCHDOG_USEC for this pid only")
    func watchdogTimeout() {
        setenv("WATCHDOG_USEC", "30000000", 1)
        setenv("WATCHDOG_PID", String(getpid()), 1)
        #expect(SystemdNotifier.watchdogTimeout() == .seconds(30))
        setenv("WATCHDOG_PID", "1", 1)
        #expect(SystemdNotifier.watchdogTimeout() == nil)
        unsetenv("WATCHDOG_USEC")
        unsetenv("WATCHDOG_PID")
    }
}
