// Typed wrappers for libcurl's variadic setters and getters, which Swift cannot call.
// Each wrapper fixes the type of the third argument, which is what libcurl expects
// for the option classes named in its suffix (long, pointer/string, off_t, callback).
#ifndef GWS_CCURL_SHIM_H
#define GWS_CCURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*gws_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode gws_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode gws_easy_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode gws_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode gws_easy_setopt_data_cb(CURL *h, CURLoption o, gws_curl_data_callback v) { return curl_easy_setopt(h, o, v); }

static inline CURLcode gws_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode gws_easy_getinfo_ptr(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode gws_easy_getinfo_certinfo(CURL *h, struct curl_certinfo **v) { return curl_easy_getinfo(h, CURLINFO_CERTINFO, v); }

static inline CURLMcode gws_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLSHcode gws_share_setopt_long(CURLSH *s, CURLSHoption o, long v) { return curl_share_setopt(s, o, v); }

#endif
