#ifndef GWS_SERIAL_EXECUTOR_H
#define GWS_SERIAL_EXECUTOR_H

/// Makes Swift concurrency's global executor one dedicated thread for this process.
///
/// Every job enqueued on the global executor after this call (task starts, resumptions,
/// actor runs) goes to one FIFO queue that one thread drains, instead of libdispatch's
/// worker pool: a hop between tasks no longer wakes another thread. Jobs delayed by
/// `Task.sleep` still fire on libdispatch and then continue on this thread.
///
/// Call once, early, from the process that wants it (gws-agentd run); never from a
/// library or a test process. Returns 0, or an errno value when the thread cannot start
/// (the process then keeps the default executor).
int gws_install_serial_global_executor(void);

#endif
