#define _GNU_SOURCE
#include "serial_executor.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// The parts of the Swift runtime's executor ABI this file uses: SwiftJob and
// SwiftExecutorRef as the toolchain's <swift/ExecutorImpl.h> lays them out, and two
// symbols libswift_Concurrency exports (static and shared): swift_job_run and the
// global-executor hook, both with the Swift calling convention, which clang lowers the
// same way for C as for the runtime's own C++.
typedef struct {
    const void *metadata;
    uintptr_t refCounts;
    void *schedulerPrivate[2];
    uint32_t flags;
} __attribute__((aligned(2 * sizeof(void *)))) SwiftJob;

typedef struct {
    void *identity;
    uintptr_t implementation;
} SwiftExecutorRef;

extern __attribute__((swiftcall)) void swift_job_run(SwiftJob *job, SwiftExecutorRef executor);

typedef __attribute__((swiftcall)) void (*gws_enqueue_original)(SwiftJob *job);
extern __attribute__((swiftcall)) void (*swift_task_enqueueGlobal_hook)(SwiftJob *job, gws_enqueue_original original);

// The delayed forms (Task.sleep), hooked too so that a sleep never starts libdispatch's
// timer machinery. A deadline names its clock: 1 continuous (the runtime reads
// CLOCK_BOOTTIME on Linux), 2 suspending (CLOCK_MONOTONIC).
typedef unsigned long long SwiftJobDelay;
typedef __attribute__((swiftcall)) void (*gws_enqueue_delay_original)(SwiftJobDelay delay, SwiftJob *job);
extern __attribute__((swiftcall)) void (*swift_task_enqueueGlobalWithDelay_hook)(
    SwiftJobDelay delay, SwiftJob *job, gws_enqueue_delay_original original);
typedef __attribute__((swiftcall)) void (*gws_enqueue_deadline_original)(
    long long sec, long long nsec, long long tsec, long long tnsec, int clock, SwiftJob *job);
extern __attribute__((swiftcall)) void (*swift_task_enqueueGlobalWithDeadline_hook)(
    long long sec, long long nsec, long long tsec, long long tnsec, int clock, SwiftJob *job,
    gws_enqueue_deadline_original original);

// The queue: an intrusive FIFO threaded through each job's first scheduler-private word,
// which belongs to the executor while the job is queued. Guarded by `lock`.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER;
static SwiftJob *head = NULL;
static SwiftJob *tail = NULL;

// The idle source: what the thread waits on instead of `nonempty` once one is set (for
// good). Written only by the executor thread, read under `lock`. `parked` is true while the
// thread is inside `source.wait` with nothing queued.
static gws_executor_idle_source source = {NULL, NULL, NULL};
static int parked = 0;
static __thread int on_executor = 0;
// Set once the executor thread runs (under `lock`).
static int installed_executor = 0;

static SwiftJob **next_of(SwiftJob *job) { return (SwiftJob **)&job->schedulerPrivate[0]; }

// The timers: a binary min-heap of callbacks by due time (CLOCK_MONOTONIC nanoseconds,
// then arrival order). Guarded by `lock`. A due callback is called on the executor thread,
// outside the lock (it typically resumes a task, which queues its job).
typedef struct {
    uint64_t due;
    uint64_t order;
    void (*fire)(void *context);
    void *context;
} gws_timer;
static gws_timer *timers = NULL;
static size_t timer_count = 0;
static size_t timer_capacity = 0;
static uint64_t timer_order = 0;

static uint64_t now_ns(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static int timer_before(const gws_timer *a, const gws_timer *b) {
    return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void timer_swap(size_t a, size_t b) {
    gws_timer held = timers[a];
    timers[a] = timers[b];
    timers[b] = held;
}

// Adds a timer (under `lock`); returns 0, or ENOMEM when the heap cannot grow.
static int timer_push(uint64_t due, void (*fire)(void *), void *context) {
    if (timer_count == timer_capacity) {
        size_t capacity = timer_capacity ? timer_capacity * 2 : 64;
        gws_timer *grown = realloc(timers, capacity * sizeof(gws_timer));
        if (grown == NULL) return ENOMEM;
        timers = grown;
        timer_capacity = capacity;
    }
    size_t index = timer_count++;
    timers[index] = (gws_timer){due, timer_order++, fire, context};
    while (index > 0 && timer_before(&timers[index], &timers[(index - 1) / 2])) {
        timer_swap(index, (index - 1) / 2);
        index = (index - 1) / 2;
    }
    return 0;
}

static gws_timer timer_pop(void) {
    gws_timer first = timers[0];
    timers[0] = timers[--timer_count];
    size_t index = 0;
    for (;;) {
        size_t smallest = index, left = 2 * index + 1, right = left + 1;
        if (left < timer_count && timer_before(&timers[left], &timers[smallest])) smallest = left;
        if (right < timer_count && timer_before(&timers[right], &timers[smallest])) smallest = right;
        if (smallest == index) break;
        timer_swap(index, smallest);
        index = smallest;
    }
    return first;
}

// Appends a job to the queue (under `lock`).
static void append(SwiftJob *job) {
    *next_of(job) = NULL;
    if (tail) {
        *next_of(tail) = job;
    } else {
        head = job;
    }
    tail = job;
}

// Calls every due timer's callback. Takes and releases `lock`; called without it.
static void fire_due_timers(void) {
    for (;;) {
        pthread_mutex_lock(&lock);
        if (timer_count == 0 || timers[0].due > now_ns(CLOCK_MONOTONIC)) {
            pthread_mutex_unlock(&lock);
            return;
        }
        gws_timer due = timer_pop();
        pthread_mutex_unlock(&lock);
        due.fire(due.context);
    }
}

// Queues a job, waking the thread when it may be asleep. From any thread.
static void enqueue_job(SwiftJob *job) {
    pthread_mutex_lock(&lock);
    int was_empty = head == NULL;
    append(job);
    // Only a job added to an empty queue can find the thread asleep, and the thread
    // itself never is.
    int wake_source = was_empty && !on_executor && parked && source.wake != NULL;
    if (wake_source) source.wake(source.context);
    pthread_mutex_unlock(&lock);
    if (was_empty && !on_executor && !wake_source) pthread_cond_signal(&nonempty);
}

static __attribute__((swiftcall)) void enqueue(SwiftJob *job, gws_enqueue_original original) {
    (void)original;
    enqueue_job(job);
}

static void enqueue_due_job(void *job) { enqueue_job(job); }

static __attribute__((swiftcall)) void enqueue_with_delay(
    SwiftJobDelay delay, SwiftJob *job, gws_enqueue_delay_original original) {
    // Only ENOMEM can fail here (the hook is set after the thread runs): libdispatch then.
    if (gws_serial_executor_schedule(delay, enqueue_due_job, job) != 0) original(delay, job);
}

static __attribute__((swiftcall)) void enqueue_with_deadline(
    long long sec, long long nsec, long long tsec, long long tnsec, int clock, SwiftJob *job,
    gws_enqueue_deadline_original original) {
    // The delay from now on the deadline's clock, kept on CLOCK_MONOTONIC: the two part
    // only across a system suspend, after which the job is due anyway. The tolerance
    // (tsec, tnsec) may be spent; no timer is coalesced, so it is not.
    struct timespec now;
    clock_gettime(clock == 1 ? CLOCK_BOOTTIME : CLOCK_MONOTONIC, &now);
    long long left_sec = sec - (long long)now.tv_sec, left_nsec = nsec - (long long)now.tv_nsec;
    // At most a billion seconds ahead: "never", without overflowing.
    long long left = left_sec > 1000000000LL ? 1000000000LL * 1000000000LL : left_sec * 1000000000LL + left_nsec;
    SwiftJobDelay delay = left > 0 ? (SwiftJobDelay)left : 0;
    if (gws_serial_executor_schedule(delay, enqueue_due_job, job) != 0) original(sec, nsec, tsec, tnsec, clock, job);
}

int gws_serial_executor_schedule(uint64_t delay_ns, void (*fire)(void *context), void *context) {
    if (fire == NULL) return EINVAL;
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    uint64_t due = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
    pthread_mutex_lock(&lock);
    if (!installed_executor) {
        pthread_mutex_unlock(&lock);
        return ENOTSUP;
    }
    int status = timer_push(due, fire, context);
    // A new earliest timer wakes the thread, which may be waiting for a later one.
    int earliest = status == 0 && timers[0].fire == fire && timers[0].context == context && timers[0].due == due;
    int wake_source = earliest && !on_executor && parked && source.wake != NULL;
    if (wake_source) source.wake(source.context);
    pthread_mutex_unlock(&lock);
    if (earliest && !on_executor && !wake_source) pthread_cond_signal(&nonempty);
    return status;
}

// Milliseconds until the earliest timer, rounded up; -1 without timers (under `lock`).
static int timeout_until_next_timer(void) {
    if (timer_count == 0) return -1;
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    if (timers[0].due <= now) return 0;
    uint64_t left = (timers[0].due - now + 999999u) / 1000000u;
    return left > 60000 ? 60000 : (int)left;
}

const uint64_t gws_executor_job_bounds_ns[5] = {1000000u, 5000000u, 20000000u, 100000000u, 1000000000u};

void gws_executor_job_stats_record(gws_executor_job_stats *stats, uint64_t duration_ns) {
    unsigned bucket = 0;
    while (bucket < 5 && duration_ns > gws_executor_job_bounds_ns[bucket]) bucket++;
    stats->buckets[bucket]++;
    stats->count++;
    stats->sum_ns += duration_ns;
    if (duration_ns > stats->max_ns) stats->max_ns = duration_ns;
}

// Written by the executor thread after each job, read by any thread under `stats_lock`
// (a job's two clock reads are vDSO calls; the lock is uncontended but for a reader).
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static gws_executor_job_stats job_stats;

void gws_serial_executor_record_work(uint64_t duration_ns) {
    pthread_mutex_lock(&stats_lock);
    gws_executor_job_stats_record(&job_stats, duration_ns);
    pthread_mutex_unlock(&stats_lock);
}

void gws_serial_executor_job_stats(gws_executor_job_stats *out) {
    pthread_mutex_lock(&stats_lock);
    *out = job_stats;
    pthread_mutex_unlock(&stats_lock);
}

// Jobs run in a row before the idle source gets a turn without blocking, so that a
// steady stream of jobs cannot starve its I/O.
enum { jobs_between_polls = 64 };

static void *drain(void *unused) {
    (void)unused;
    on_executor = 1;
    unsigned run_since_poll = 0;
    for (;;) {
        fire_due_timers();
        pthread_mutex_lock(&lock);
        gws_executor_idle_source current = source;
        if (head == NULL || (current.wait && run_since_poll >= jobs_between_polls)) {
            run_since_poll = 0;
            int timeout = head == NULL ? timeout_until_next_timer() : 0;
            if (current.wait) {
                parked = timeout != 0;
                pthread_mutex_unlock(&lock);
                current.wait(current.context, timeout);
                pthread_mutex_lock(&lock);
                parked = 0;
                pthread_mutex_unlock(&lock);
            } else if (timeout < 0) {
                while (head == NULL && timer_count == 0) pthread_cond_wait(&nonempty, &lock);
                pthread_mutex_unlock(&lock);
            } else {
                if (timeout > 0) {
                    struct timespec until;
                    clock_gettime(CLOCK_MONOTONIC, &until);
                    until.tv_sec += timeout / 1000;
                    until.tv_nsec += (long)(timeout % 1000) * 1000000L;
                    if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec += 1;
                        until.tv_nsec -= 1000000000L;
                    }
                    pthread_cond_timedwait(&nonempty, &lock, &until);
                }
                pthread_mutex_unlock(&lock);
            }
            continue;
        }
        SwiftJob *job = head;
        head = *next_of(job);
        if (head == NULL) tail = NULL;
        pthread_mutex_unlock(&lock);
        // The generic executor: these jobs belong to no actor of ours.
        uint64_t started = now_ns(CLOCK_MONOTONIC);
        swift_job_run(job, (SwiftExecutorRef){NULL, 0});
        uint64_t ran = now_ns(CLOCK_MONOTONIC) - started;
        pthread_mutex_lock(&stats_lock);
        gws_executor_job_stats_record(&job_stats, ran);
        pthread_mutex_unlock(&stats_lock);
        run_since_poll++;
    }
    return NULL;
}

int gws_serial_executor_is_current(void) { return on_executor; }

int gws_serial_executor_is_installed(void) {
    pthread_mutex_lock(&lock);
    int installed = installed_executor;
    pthread_mutex_unlock(&lock);
    return installed;
}

int gws_serial_executor_has_jobs(void) {
    pthread_mutex_lock(&lock);
    int has_jobs = head != NULL;
    pthread_mutex_unlock(&lock);
    return has_jobs;
}

int gws_serial_executor_set_idle_source(const gws_executor_idle_source *new_source) {
    if (!on_executor) return EPERM;
    if (new_source == NULL || new_source->wait == NULL || new_source->wake == NULL) return EINVAL;
    pthread_mutex_lock(&lock);
    int status = 0;
    if (source.wait != NULL) {
        status = EBUSY;
    } else {
        source = *new_source;
    }
    pthread_mutex_unlock(&lock);
    return status;
}

int gws_install_serial_global_executor(void) {
    static int installed = 0;
    if (installed) return 0;
    // Timed waits measure CLOCK_MONOTONIC, as the timers do.
    pthread_condattr_t condition_attributes;
    pthread_condattr_init(&condition_attributes);
    pthread_condattr_setclock(&condition_attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&nonempty, &condition_attributes);
    pthread_condattr_destroy(&condition_attributes);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int status = pthread_create(&thread, &attributes, drain, NULL);
    pthread_attr_destroy(&attributes);
    if (status != 0) return status;
    pthread_setname_np(thread, "swift-executor");
    pthread_mutex_lock(&lock);
    installed_executor = 1;
    pthread_mutex_unlock(&lock);
    swift_task_enqueueGlobal_hook = enqueue;
    swift_task_enqueueGlobalWithDelay_hook = enqueue_with_delay;
    swift_task_enqueueGlobalWithDeadline_hook = enqueue_with_deadline;
    installed = 1;
    return 0;
}

static __thread void *served_loop = NULL;

void *gws_thread_served_loop(void) { return served_loop; }

void gws_thread_set_served_loop(void *loop) { served_loop = loop; }

int gws_allowed_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int count = CPU_COUNT(&set);
    return count > 0 ? count : 1;
}

void gws_set_current_thread_name(const char *name) { pthread_setname_np(pthread_self(), name); }
