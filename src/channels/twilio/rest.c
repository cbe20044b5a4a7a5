/*
 * rest.c - sending an SMS through Twilio's Messages API (providers.md §4).
 *
 * Layer: channels/twilio. POST {base}/2010-04-01/Accounts/{sid}/Messages.json, form-encoded,
 * HTTP basic auth AccountSid:AuthToken, with our StatusCallback URL. A 201 gives the message
 * sid and its first status; an error answer gives Twilio's code and message, kept verbatim.
 */
#include "channels/twilio/twilio.h"

#include "channels/provider.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int twilio_send_sms(const char *to, const char *body, const char *status_callback,
                    struct arena *a, struct twilio_send_result *out)
{
    memset(out, 0, sizeof *out);
    if (!cfg.twilio_account_sid || !cfg.twilio_auth_token || !cfg.twilio_from) {
        out->error_message = "Twilio is not configured (account SID, auth token, from number)";
        return ERR_UNAVAILABLE;
    }
    struct buf form;
    buf_init(&form, 512, 64 * 1024);
    form_add(&form, "To", to);
    form_add(&form, "From", cfg.twilio_from);
    form_add(&form, "Body", body);
    if (status_callback)
        form_add(&form, "StatusCallback", status_callback);
    char *url = arena_printf(a, "%s/2010-04-01/Accounts/%s/Messages.json", cfg.twilio_api_base,
                             cfg.twilio_account_sid);
    char *userpwd = arena_printf(a, "%s:%s", cfg.twilio_account_sid, cfg.twilio_auth_token);
    if (!buf_ok(&form) || !url || !userpwd) {
        buf_release(&form);
        out->error_message = "message too large to send";
        return ERR_INVALID;
    }
    struct provider_request rq = {.url = url,
                                  .content_type = "application/x-www-form-urlencoded",
                                  .body = form.data,
                                  .body_len = form.len,
                                  .userpwd = userpwd};
    struct provider_response resp;
    int rc = provider_post(&rq, a, &resp);
    buf_release(&form);
    out->http_status = resp.status;
    if (rc < 0) {
        out->error_message = arena_printf(a, "Twilio unreachable: %s", resp.error);
        return rc;
    }
    json_t *j = json_loads(resp.body, 0, NULL);
    if (resp.status == 201 || resp.status == 200) {
        const char *sid = json_string_value(json_object_get(j, "sid"));
        const char *status = json_string_value(json_object_get(j, "status"));
        out->sid = sid ? arena_strdup(a, sid) : NULL;
        out->status = arena_strdup(a, status ? status : "queued");
        out->ok = sid != NULL;
        if (!out->ok)
            out->error_message = "Twilio answered without a message sid";
    } else {
        json_t *code = json_object_get(j, "code");
        const char *msg = json_string_value(json_object_get(j, "message"));
        if (json_is_integer(code))
            out->error_code = arena_printf(a, "%lld", (long long)json_integer_value(code));
        out->error_message = arena_printf(a, "Twilio answered %ld: %s", resp.status,
                                          msg ? msg : "no error message");
    }
    json_decref(j);
    return 0;
}
