// Typed wrappers for libcurl's variadic setters and getters, which Swift cannot call.
// Each wrapper fixes the type of the third argument, which is what libcurl expects
// for the option classes named in its suffix (long, pointer/string, off_t, callback).
#ifndef GWS_CCURL_SHIM_H
#define GWS_CCURL_SHIM_H

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

typedef size_t (*gws_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode gws_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode gws_easy_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode gws_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode gws_easy_setopt_data_cb(CURL *h, CURLoption o, gws_curl_data_callback v) { return curl_easy_setopt(h, o, v); }

static inline CURLcode gws_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode gws_easy_getinfo_ptr(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode gws_easy_getinfo_certinfo(CURL *h, struct curl_certinfo **v) { return curl_easy_getinfo(h, CURLINFO_CERTINFO, v); }

static inline CURLMcode gws_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode gws_multi_setopt_ptr(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode gws_multi_setopt_socket_cb(CURLM *m, curl_socket_callback v) { return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, v); }
static inline CURLMcode gws_multi_setopt_timer_cb(CURLM *m, curl_multi_timer_callback v) { return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, v); }
static inline CURLSHcode gws_share_setopt_long(CURLSH *s, CURLSHoption o, long v) { return curl_share_setopt(s, o, v); }

// Readiness for the multi loop: an epoll instance for the sockets libcurl asks to watch
// (CURLMOPT_SOCKETFUNCTION) and an eventfd to wake the waiting thread. `struct
// epoll_event` is packed on x86-64, so these helpers keep it on the C side.

/// A non-blocking eventfd for wake-ups.
static inline int gws_wakeup_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

/// Watches `fd` for `in`/`out` (both 0: stops watching). `known`: already watched.
static inline int gws_epoll_watch(int epoll, int fd, int in, int out, int known) {
    if (!in && !out) return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
    struct epoll_event event = { .events = (in ? EPOLLIN : 0) | (out ? EPOLLOUT : 0), .data = { .fd = fd } };
    return epoll_ctl(epoll, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
}

/// Waits up to `timeout` ms; writes each ready descriptor and its libcurl `CURL_CSELECT_*`
/// mask; returns how many (or -1).
static inline int gws_epoll_wait(int epoll, int *fds, int *masks, int capacity, int timeout) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epoll, events, capacity, timeout);
    for (int i = 0; i < count; i++) {
        fds[i] = events[i].data.fd;
        masks[i] = ((events[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0)
            | ((events[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
            | ((events[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
    }
    return count;
}

#endif
