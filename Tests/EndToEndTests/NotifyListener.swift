import Foundation
import Locking
import TestSupport
import Testing

/// A `NOTIFY_SOCKET` for the daemon under test: an AF_UNIX datagram socket whose
/// messages (`READY=1`, `STATUS=…`, `WATCHDOG=1`) are collected by a thread of its own.
final class NotifyListener: Sendable {
    let path: String
    private let fd: Int32
    private let received = Locked<[String]>([])
    private let stopped = Locked(false)

    init(path: String) throws {
        self.path = path
        let socketFD = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(socketFD)
            throw POSIXError(.EADDRINUSE)
        }
        fd = socketFD
        Thread { [self] in self.receiveLoop() }.start()
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !stopped.withLock({ $0 }) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                received.withLock { $0.append(text) }
            }
        }
        close(fd)
    }

    /// Every datagram so far, in order.
    var messages: [String] { received.withLock { $0 } }

    /// Every `KEY=VALUE` line so far, in order.
    var assignments: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }

    /// Waits until `condition` holds for the datagrams so far; a failed wait names `what`
    /// and shows the last datagrams.
    @discardableResult
    func wait(
        for what: String, sourceLocation: SourceLocation = #_sourceLocation,
        until condition: @escaping ([String]) -> Bool
    ) async -> Bool {
        await waitUntil(
            what, diagnosis: "sd_notify so far: \(self.assignments.suffix(8))", sourceLocation: sourceLocation
        ) { condition(self.assignments) }
    }

    func stop() {
        stopped.withLock { $0 = true }
    }
}
