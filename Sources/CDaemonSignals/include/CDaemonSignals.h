// The daemon's control signals (SIGTERM, SIGINT, SIGHUP) through a self-pipe.
//
// libdispatch's signal sources (and so swift-service-lifecycle's UnixSignalsSequence)
// lose signals on Linux: the main thread waits in sigsuspend with every signal
// unblocked, and libdispatch's handler forwards what it receives to the worker thread
// that first registered the source, which may have exited (measured: about one SIGTERM
// in three never arrived). A handler that only writes the signal number to a pipe works
// whichever thread the kernel picks; a reader thread turns the bytes into events.
#ifndef GWS_CDAEMONSIGNALS_H
#define GWS_CDAEMONSIGNALS_H

/// Installs the handler for SIGTERM, SIGINT and SIGHUP and returns the read end of the
/// pipe they are written to (one byte per signal, the signal number), or -1 with errno
/// set. Call once per process; the read end belongs to the caller.
int gws_signal_pipe_open(void);

/// Unblocks SIGTERM, SIGINT and SIGHUP in the calling thread. A process may start with
/// them blocked (its parent's mask is inherited), and then no thread would ever receive
/// them: the thread that reads the pipe unblocks them for itself. Returns 0 or an errno.
int gws_signal_unblock(void);

#endif
