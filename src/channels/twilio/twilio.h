/*
 * twilio.h - the Twilio channel: webhook signatures, the inbound SMS webhook and status
 * callbacks.
 *
 * Layer: channels (calls domain/, http/, core/). The HTTP handlers verify X-Twilio-Signature
 * against the configured public URL plus the raw request target (providers.md §2), decode the
 * form, and hand a plain struct to the domain layer, which stores and threads it in one
 * transaction before the TwiML acknowledgement is sent.
 */
#ifndef SB_TWILIO_H
#define SB_TWILIO_H

#include "http/form.h"
#include "http/http.h"

#include <stdbool.h>

/* True when header is the signature of (url, pairs) under token, accepting the two port
 * variants of url (providers.md §2 step 7). pairs may be NULL (URL-only signatures, e.g. the
 * JSON variant). Compares in constant time. */
bool twilio_signature_valid(const char *token, const char *url, const struct form *pairs,
                            const char *header);

/* Computes the base64 signature of (url, pairs) into out[29]. */
void twilio_signature_compute(const char *token, const char *url, const struct form *pairs,
                              char out[29]);

struct twilio_send_result {
    bool ok;
    long http_status;
    const char *sid, *status;              /* on success */
    const char *error_code, *error_message; /* on failure */
};

/* Sends an SMS from the configured number. Returns 0 when Twilio answered (look at out->ok),
 * or an error when it could not be reached or is not configured (out->error_message says why).
 * Strings are allocated from a. */
int twilio_send_sms(const char *to, const char *body, const char *status_callback,
                    struct arena *a, struct twilio_send_result *out);

extern const struct http_route twilio_routes[];

#endif
