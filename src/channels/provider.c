/*
 * provider.c - bounded, retried HTTPS POSTs to the providers (see provider.h).
 *
 * Layer: channels. One easy handle per call (calls are rare next to requests; connection reuse
 * would need a shared handle pool per worker and buys little here). Retries: 429, 5xx and
 * transport errors; never 4xx, which a resend cannot fix.
 */
#include "channels/provider.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static int free_slots = 4;

void provider_init(int slots)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    free_slots = slots > 0 ? slots : 1;
}

void provider_cleanup(void)
{
    curl_global_cleanup();
}

static bool take_slot(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += PROVIDER_QUEUE_WAIT_MS / 1000;
    until.tv_nsec += (PROVIDER_QUEUE_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&lock);
    while (free_slots == 0) {
        if (pthread_cond_timedwait(&freed, &lock, &until) != 0 && free_slots == 0) {
            pthread_mutex_unlock(&lock);
            return false;
        }
    }
    free_slots--;
    pthread_mutex_unlock(&lock);
    return true;
}

static void give_slot(void)
{
    pthread_mutex_lock(&lock);
    free_slots++;
    pthread_cond_signal(&freed);
    pthread_mutex_unlock(&lock);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    buf_add(b, p, size * n);
    return buf_ok(b) ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    char **mid = ud;
    size_t len = size * n;
    if (len > 13 && strncasecmp(p, "X-Message-Id:", 13) == 0) {
        const char *v = p + 13;
        size_t vl = len - 13;
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        free(*mid);
        *mid = strndup(v, vl);
    }
    return len;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int provider_post(const struct provider_request *rq, struct arena *a,
                  struct provider_response *resp)
{
    memset(resp, 0, sizeof *resp);
    if (!take_slot()) {
        snprintf(resp->error, sizeof resp->error, "too many provider calls in flight");
        return ERR_UNAVAILABLE;
    }
    int rc = ERR_IO;
    long pause = 200;
    for (int attempt = 1; attempt <= PROVIDER_ATTEMPTS; attempt++) {
        resp->attempts = attempt;
        CURL *h = curl_easy_init();
        if (!h) {
            snprintf(resp->error, sizeof resp->error, "cannot create an HTTP client");
            break;
        }
        struct buf body;
        buf_init(&body, 1024, 1 << 20);
        char *mid = NULL;
        struct curl_slist *hdrs = NULL;
        char line[600];
        snprintf(line, sizeof line, "Content-Type: %s", rq->content_type);
        hdrs = curl_slist_append(hdrs, line);
        hdrs = curl_slist_append(hdrs, "Accept: application/json");
        if (rq->bearer) {
            snprintf(line, sizeof line, "Authorization: Bearer %s", rq->bearer);
            hdrs = curl_slist_append(hdrs, line);
        }
        curl_easy_setopt(h, CURLOPT_URL, rq->url);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        if (rq->userpwd) {
            curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
            curl_easy_setopt(h, CURLOPT_USERPWD, rq->userpwd);
        }
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)PROVIDER_CONNECT_TIMEOUT_MS);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)PROVIDER_TOTAL_TIMEOUT_MS);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_USERAGENT, "switchboard/0.1");
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &mid);
        CURLcode cc = curl_easy_perform(h);
        long status = 0;
        if (cc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        resp->status = status;
        resp->body = arena_strdup(a, body.data ? body.data : "");
        resp->message_id = mid ? arena_strdup(a, mid) : NULL;
        free(mid);
        buf_release(&body);
        if (cc != CURLE_OK)
            snprintf(resp->error, sizeof resp->error, "%s", curl_easy_strerror(cc));
        bool retry = cc != CURLE_OK || status == 429 || status >= 500;
        if (cc == CURLE_OK)
            rc = 0;
        if (!retry || attempt == PROVIDER_ATTEMPTS)
            break;
        log_warn("provider", "POST '%s' %s (attempt %d of %d); retrying", rq->url,
                 cc != CURLE_OK ? resp->error : status == 429 ? "rate limited" : "server error",
                 attempt, PROVIDER_ATTEMPTS);
        pause_ms(pause);
        pause *= 3;
    }
    give_slot();
    return rc;
}
