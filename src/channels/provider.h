/*
 * provider.h - calling the providers' REST APIs (Twilio, SendGrid) over HTTPS with libcurl.
 *
 * Layer: channels. A provider call runs on the HTTP worker that handles the request, so it is
 * bounded three ways: each attempt has a connect timeout and a total timeout, 429 and 5xx
 * answers (and connection failures) are retried at most PROVIDER_ATTEMPTS times with a short
 * growing pause, and at most `slots` calls run at once across the process (the rest wait up to
 * PROVIDER_QUEUE_WAIT_MS, then fail as unavailable), so provider slowness can never occupy the
 * whole worker pool. Results are allocated from the caller's arena.
 */
#ifndef SB_PROVIDER_H
#define SB_PROVIDER_H

#include "core/arena.h"

#include <stdbool.h>

#define PROVIDER_ATTEMPTS 3
#define PROVIDER_CONNECT_TIMEOUT_MS 3000
#define PROVIDER_TOTAL_TIMEOUT_MS 8000
#define PROVIDER_QUEUE_WAIT_MS 2000

struct provider_request {
    const char *url;
    const char *content_type;
    const char *body;
    size_t body_len;
    const char *userpwd;       /* HTTP basic "user:password", or NULL */
    const char *bearer;        /* Authorization: Bearer <token>, or NULL */
};

struct provider_response {
    long status;        /* HTTP status; 0 when no answer came */
    char *body;         /* arena, NUL-terminated */
    char *message_id;   /* the X-Message-Id header (SendGrid), or NULL */
    char error[256];    /* transport error text when status == 0 */
    int attempts;
};

/* Initializes libcurl and the concurrency bound; call once at start-up. */
void provider_init(int slots);
void provider_cleanup(void);

/* POSTs the request with the retry policy above. Returns 0 when an answer came (any status;
 * look at resp->status), ERR_UNAVAILABLE when no slot freed up, ERR_IO when every attempt failed
 * to get an answer. */
int provider_post(const struct provider_request *rq, struct arena *a,
                  struct provider_response *resp);

#endif
