import CCurl
import CSerialExecutor
import Locking

/// Driving a loop from the process's executor thread instead of a thread of its own.
///
/// In a process that made one thread its Swift executor (`gws-agentd run`), that thread
/// waits on the loop's sockets (``SocketReadiness``) whenever it has no job to run, and does libcurl's work when
/// a socket is ready. A response then resumes its task on the thread that read it, with
/// no hand-over between threads. Every client created on the executor thread uses this
/// one loop (each with its own cookie jar); it lives as long as the process.
extension CurlLoop {
    private static let executorLoop = Locked<CurlLoop?>(nil)

    /// The loop the calling thread serves between its jobs: a shard's (``CurlExecutor``),
    /// or the serial executor's, created on first use; `nil` on any other thread (or in a
    /// process without an executor).
    static func forExecutor() -> CurlLoop? {
        if let served = gws_thread_served_loop() {
            // Served loops live as long as the process.
            return Unmanaged<CurlLoop>.fromOpaque(served).takeUnretainedValue()
        }
        guard gws_serial_executor_is_current() != 0 else { return nil }
        return executorLoop.withLock { loop in
            if loop == nil {
                loop = CurlLoop(drivenBy: .serialExecutor)
                if let loop { gws_thread_set_served_loop(Unmanaged.passUnretained(loop).toOpaque()) }
            }
            return loop
        }
    }

    /// Makes the executor thread serve the loop between jobs, for the rest of the process;
    /// the executor holds a reference to the loop.
    func attachToExecutor() -> Bool {
        var source = gws_executor_idle_source(
            wait: { context, timeout in
                guard let context else { return }
                Unmanaged<CurlLoop>.fromOpaque(context).takeUnretainedValue().serve(timeout: timeout)
            },
            wake: { context in
                // The executor holds the loop (and its multi handle) for good.
                guard let context else { return }
                Unmanaged<CurlLoop>.fromOpaque(context).takeUnretainedValue().readiness.wake()
            },
            context: Unmanaged.passRetained(self).toOpaque())
        guard gws_serial_executor_set_idle_source(&source) == 0 else {
            Unmanaged.passUnretained(self).release()
            return false
        }
        return true
    }

    /// The executor's turn with the loop, between jobs: with a `timeout` (no job queued;
    /// -1 when no timer is due), also waits for I/O, a wakeup or the timeout, at most a
    /// second. The executor's loop is never stopped (a client closes its own share
    /// instead), so it never hands the executor back.
    ///
    /// The executor's job statistics count each stretch of libcurl work here as a job (it
    /// holds up every job as one does), without the time blocked waiting.
    private func serve(timeout: Int32) {
        let started = SocketReadiness.now()
        _ = turn()
        gws_serial_executor_record_work(SocketReadiness.now() - started)
        // Resuming a task in `turn` queues a job without waking anyone: block only when
        // the executor really has nothing to do.
        guard timeout != 0, gws_serial_executor_has_jobs() == 0 else { return }
        let woke = act(waitingUpTo: timeout < 0 ? 1000 : min(timeout, 1000))
        _ = turn(polling: false)
        gws_serial_executor_record_work(SocketReadiness.now() - woke)
    }
}
