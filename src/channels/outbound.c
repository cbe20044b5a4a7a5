/*
 * outbound.c - the provider call between "stored as queued" and "settled" (see outbound.h).
 *
 * Layer: channels. Twilio for SMS (with our status callback URL), SendGrid for e-mail (with a
 * reply+<conversation>@domain Reply-To, so answers thread back).
 */
#include "channels/outbound.h"

#include "channels/sendgrid/sendgrid.h"
#include "channels/twilio/twilio.h"
#include "core/config.h"
#include "core/log.h"

#include <string.h>

/* reply+<uuid>@<domain of the sender address> */
static const char *reply_to(const char *conv_id, struct arena *a)
{
    const char *at = cfg.email_from ? strchr(cfg.email_from, '@') : NULL;
    return at ? arena_printf(a, "reply+%s@%s", conv_id, at + 1) : NULL;
}

int outbound_send(struct store *s, const struct dom_send_plan *plan, const char *public_url,
                  struct arena *a, struct dom_send_outcome *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (plan->msg.sms) {
        struct twilio_send_result r;
        const char *cb = arena_printf(a, "%s/api/webhooks/twilio/status", public_url);
        twilio_send_sms(plan->to, plan->msg.content, cb, a, &r);
        out->ok = r.ok;
        out->provider_id = r.sid;
        out->status = r.status;
        out->error_code = r.error_code;
        out->error_message = r.error_message;
    } else {
        struct sendgrid_mail m = {
            .to = plan->to,
            .to_name = plan->to_name,
            .subject = plan->subject,
            .text = plan->msg.content,
            .reply_to = reply_to(plan->conv.id, a),
            .in_reply_to = plan->in_reply_to,
            .references = plan->references,
            .conversation_id = plan->conv.id,
        };
        struct sendgrid_send_result r;
        sendgrid_send(&m, a, &r);
        out->ok = r.ok;
        out->provider_id = r.message_id;
        out->error_message = r.error_message;
    }
    if (!out->ok)
        log_warn("outbound", "sending message '%s' failed: %s", plan->msg.id,
                 out->error_message ? out->error_message : "unknown error");
    return dom_send_settle(s, plan, out, e);
}
