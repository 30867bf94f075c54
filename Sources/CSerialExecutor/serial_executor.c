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
    pthread_mutex_unlock(&lock);
    // Only a job added to an empty queue can find the thread asleep.
    if (was_empty) pthread_cond_signal(&nonempty);
}

static void *drain(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (head == NULL) pthread_cond_wait(&nonempty, &lock);
        SwiftJob *job = head;
        head = *next_of(job);
        if (head == NULL) tail = NULL;
        pthread_mutex_unlock(&lock);
        // The generic executor: these jobs belong to no actor of ours.
        swift_job_run(job, (SwiftExecutorRef){NULL, 0});
    }
    return NULL;
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
