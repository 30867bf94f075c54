// libsystemd's notify and journal entry points. The variadic ones (sd_notifyf,
// sd_journal_send, sd_journal_print) are unavailable from Swift; the Systemd module
// builds strings in Swift and calls sd_notify and sd_journal_sendv instead, and the
// typed wrapper below exists so callers never need the variadic forms.
#ifndef GWS_CSYSTEMD_SHIM_H
#define GWS_CSYSTEMD_SHIM_H

// sd_journal_sendv is also a macro that adds CODE_FILE, CODE_LINE and CODE_FUNC of its
// own call site: here, with the build machine's path. The Swift side sends the real call
// site's, once; this keeps the macro out.
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

/// Sends one preformatted notify message; same contract as sd_notify(3).
static inline int gws_sd_notify(int unset_environment, const char *state) {
    return sd_notify(unset_environment, state);
}

/// Sends one journal entry made of `n` "FIELD=value" iovecs; same contract as sd_journal_sendv(3).
static inline int gws_sd_journal_sendv(const struct iovec *iov, int n) {
    // In parentheses the name is the function itself, never the location-adding macro.
    return (sd_journal_sendv)(iov, n);
}

#endif
