#define _GNU_SOURCE
#include "serial_executor.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

static SwiftJob **next_of(SwiftJob *job) { return (SwiftJob **)&job->schedulerPrivate[0]; }

static __attribute__((swiftcall)) void enqueue(SwiftJob *job, gws_enqueue_original original) {
    (void)original;
    *next_of(job) = NULL;
    pthread_mutex_lock(&lock);
    int was_empty = head == NULL;
    if (tail) {
        *next_of(tail) = job;
    } else {
        head = job;
    }
    tail = job;
    // Only a job added to an empty queue can find the thread asleep, and the thread
    // itself never is.
    int wake_source = was_empty && !on_executor && parked && source.wake != NULL;
    if (wake_source) source.wake(source.context);
    pthread_mutex_unlock(&lock);
    if (was_empty && !on_executor && !wake_source) pthread_cond_signal(&nonempty);
}

// Jobs run in a row before the idle source gets a turn without blocking, so that a
// steady stream of jobs cannot starve its I/O.
enum { jobs_between_polls = 64 };

static void *drain(void *unused) {
    (void)unused;
    on_executor = 1;
    unsigned run_since_poll = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        gws_executor_idle_source current = source;
        if (head == NULL || (current.wait && run_since_poll >= jobs_between_polls)) {
            run_since_poll = 0;
            if (current.wait) {
                int block = head == NULL;
                parked = block;
                pthread_mutex_unlock(&lock);
                current.wait(current.context, block);
                pthread_mutex_lock(&lock);
                parked = 0;
                pthread_mutex_unlock(&lock);
            } else {
                while (head == NULL) pthread_cond_wait(&nonempty, &lock);
                pthread_mutex_unlock(&lock);
            }
            continue;
        }
        SwiftJob *job = head;
        head = *next_of(job);
        if (head == NULL) tail = NULL;
        pthread_mutex_unlock(&lock);
        // The generic executor: these jobs belong to no actor of ours.
        swift_job_run(job, (SwiftExecutorRef){NULL, 0});
        run_since_poll++;
    }
    return NULL;
}

int gws_serial_executor_is_current(void) { return on_executor; }

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
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int status = pthread_create(&thread, &attributes, drain, NULL);
    pthread_attr_destroy(&attributes);
    if (status != 0) return status;
    pthread_setname_np(thread, "swift-executor");
    swift_task_enqueueGlobal_hook = enqueue;
    installed = 1;
    return 0;
}

void gws_set_current_thread_name(const char *name) { pthread_setname_np(pthread_self(), name); }
