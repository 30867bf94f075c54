// See CDaemonSignals.h for why the daemon does not use libdispatch signal sources.
#define _GNU_SOURCE
#include "CDaemonSignals.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int write_end = -1;

// Async-signal-safe: only write(2), and errno is preserved for the interrupted code.
// A full pipe (hundreds of unread signals) drops the byte, which loses nothing that
// matters: one pending SIGTERM is as good as many.
static void gws_signal_handler(int signo) {
    int saved = errno;
    unsigned char byte = (unsigned char)signo;
    (void)write(write_end, &byte, 1);
    errno = saved;
}

int gws_signal_pipe_open(void) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return -1;
    }
    if (fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    write_end = fds[1];
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = gws_signal_handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    const int signals[] = {SIGTERM, SIGINT, SIGHUP};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) {
            return -1;
        }
    }
    return fds[0];
}

int gws_signal_unblock(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
