import CDaemonSignals
import CSerialExecutor
import Foundation

/// SIGTERM, SIGINT and SIGHUP as an async sequence, delivered through a self-pipe (see
/// `CDaemonSignals.h` for why libdispatch signal sources are not used).
///
/// Ownership: the pipe's read end is owned by the reader thread, which alone reads and
/// finally closes it; the handler owns the write end for the life of the process.
public enum ControlSignal: Sendable, Equatable {
    /// SIGTERM or SIGINT: stop.
    case stop(Int32)
    /// SIGHUP: reload the configuration.
    case reload
}

public enum ControlSignals {
    /// Installs the handlers and returns the signals as they arrive; `nil` if the pipe
    /// or the handlers could not be set up. Call once per process.
    public static func install() -> AsyncStream<ControlSignal>? {
        let fd = gws_signal_pipe_open()
        guard fd >= 0 else { return nil }
        let (stream, continuation) = AsyncStream.makeStream(of: ControlSignal.self)
        let reader = Thread {
            // Only this thread takes the signals, whatever mask the process started with.
            _ = gws_signal_unblock()
            gws_set_current_thread_name("signals")
            var byte: UInt8 = 0
            while true {
                let count = read(fd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { break }
                continuation.yield(Int32(byte) == SIGHUP ? .reload : .stop(Int32(byte)))
            }
            close(fd)
            continuation.finish()
        }
        reader.start()
        return stream
    }
}
