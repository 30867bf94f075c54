#ifndef GWS_SERIAL_EXECUTOR_H
#define GWS_SERIAL_EXECUTOR_H

#include <stdint.h>

/// Makes Swift concurrency's global executor one dedicated thread for this process.
///
/// Every job enqueued on the global executor after this call (task starts, resumptions,
/// actor runs) goes to one FIFO queue that one thread drains, instead of libdispatch's
/// worker pool: a hop between tasks no longer wakes another thread. With
/// ``gws_serial_executor_schedule`` the same thread also keeps the process's timers, and
/// `Task.sleep` (the delayed-enqueue hooks) uses them too, so the process needs no
/// libdispatch thread at all.
///
/// Call once, early, from the process that wants it (the gws-agentd executable); never
/// from a library or a test process. Returns 0, or an errno value when the thread cannot start
/// (the process then keeps the default executor).
int gws_install_serial_global_executor(void);

/// Something else the executor thread can wait on while it has no jobs: the thread then
/// blocks in `wait` instead of on its own condition variable, so I/O that `wait` handles
/// (libcurl's sockets) is served on the same thread as the tasks it resumes.
typedef struct {
    /// Called on the executor thread. With `timeout` 0, handle what is ready without
    /// waiting. Otherwise the queue is empty: wait until there is I/O to handle, `wake` is
    /// called, or `timeout` milliseconds pass (-1: no timer is due; the source may still
    /// return after a timeout of its own), then handle it and return.
    void (*wait)(void *context, int timeout);
    /// Called from another thread that queued a job (or an earlier timer) while `wait` may
    /// be blocking: make it return soon. Must be safe to call from any thread, before or
    /// during `wait`.
    void (*wake)(void *context);
    void *context;
} gws_executor_idle_source;

/// 1 on the executor thread, 0 elsewhere (and always 0 when it was never installed).
int gws_serial_executor_is_current(void);

/// 1 once the executor is installed in this process.
int gws_serial_executor_is_installed(void);

/// 1 when jobs are queued. A source's `wait` asks before it blocks: jobs it queued itself
/// (by resuming tasks) do not wake it.
int gws_serial_executor_has_jobs(void);

/// Sets the idle source (copied), for the rest of the process. Only from the executor
/// thread: returns EPERM elsewhere, EINVAL without both functions, and EBUSY when a
/// source is already set. `context` must stay valid for good.
int gws_serial_executor_set_idle_source(const gws_executor_idle_source *source);

/// Calls `fire(context)` on the executor thread once `delay_ns` nanoseconds of
/// CLOCK_MONOTONIC have passed (there is no cancelling: the callback decides what a late
/// call means). Returns 0, ENOTSUP when the executor is not installed, EINVAL without
/// `fire`, or ENOMEM.
int gws_serial_executor_schedule(uint64_t delay_ns, void (*fire)(void *context), void *context);

/// How long the executor's jobs ran: a histogram of durations with the upper bounds of
/// ``gws_executor_job_bounds_ns`` (the last bucket has none), their sum and the longest.
/// A job that runs long delays every agent's next job: this is the figure to watch.
typedef struct {
    uint64_t count;
    uint64_t buckets[6];
    uint64_t sum_ns;
    uint64_t max_ns;
} gws_executor_job_stats;

/// The upper bounds of the first five buckets, in nanoseconds: 1, 5, 20, 100 and 1,000 ms.
extern const uint64_t gws_executor_job_bounds_ns[5];

/// Adds one job of `duration_ns` to `stats` (the executor does this for each job it runs).
void gws_executor_job_stats_record(gws_executor_job_stats *stats, uint64_t duration_ns);

/// Adds work the executor thread did outside a job to its statistics: the idle source's
/// turns (libcurl's work on ready sockets and new transfers), which hold up every job just
/// as a job does. Their time blocked waiting is not work and is left out by the caller.
void gws_serial_executor_record_work(uint64_t duration_ns);

/// A copy of the executor's job statistics so far (all zero when it is not installed).
void gws_serial_executor_job_stats(gws_executor_job_stats *out);

/// What the calling thread serves between its jobs (a libcurl loop, opaque here): set by
/// the thread that drives it (the executor thread, or one of the daemon's shard
/// threads), NULL on every other thread.
void *gws_thread_served_loop(void);

/// Sets what ``gws_thread_served_loop`` returns on the calling thread.
void gws_thread_set_served_loop(void *loop);

/// How many CPUs the process may run on (its affinity mask, which systemd's `CPUAffinity=`
/// and `AllowedCPUs=` narrow): how many executor threads can run at once. 1 when unknown.
int gws_allowed_cpus(void);

/// Names the calling thread (at most 15 bytes are kept), as `top -H` and perf show it.
void gws_set_current_thread_name(const char *name);

#endif
