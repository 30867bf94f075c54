// libcurl-floor: the least a program that talks to GWS through libcurl can cost in memory.
//
// daemon-bench's idle scenario runs it beside gws-agentd: it initializes libcurl as the
// daemon does (CURL_GLOBAL_ALL), makes one GET with Basic auth and the cookie engine on,
// tells systemd (if asked) that it is ready, prints "ready" and then sleeps until killed.
// Its private memory is what Debian's libcurl and the libraries it loads (OpenSSL, GnuTLS,
// Kerberos, LDAP, ...) cost by themselves; whatever gws-agentd has above it is its own.
//
//   libcurl-floor URL USER:PASSWORD
#include <curl/curl.h>
#include <systemd/sd-daemon.h>
#include <stdio.h>
#include <unistd.h>

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data;
    (void)context;
    return size * count;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: libcurl-floor URL USER:PASSWORD\n");
        return 64;
    }
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) return 1;
    CURL *easy = curl_easy_init();
    if (easy == NULL) return 1;
    curl_easy_setopt(easy, CURLOPT_URL, argv[1]);
    curl_easy_setopt(easy, CURLOPT_USERPWD, argv[2]);
    curl_easy_setopt(easy, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    CURLcode result = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (result != CURLE_OK || status != 200) {
        fprintf(stderr, "libcurl-floor: %s, HTTP %ld\n", curl_easy_strerror(result), status);
        return 1;
    }
    sd_notify(0, "READY=1");
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
}
