/*
 * sendgrid.h - the SendGrid channel: sending e-mail through the v3 Mail Send API.
 *
 * Layer: channels (calls http/, core/). Inbound Parse and the Event Webhook join this module
 * with the e-mail issue.
 */
#ifndef SB_SENDGRID_H
#define SB_SENDGRID_H

#include "core/arena.h"

#include <stdbool.h>

struct sendgrid_mail {
    const char *to, *to_name, *subject, *text;
    const char *reply_to;     /* reply+<conversation>@domain, or NULL */
    const char *in_reply_to;  /* Message-ID being answered, or NULL */
    const char *references;   /* space-separated Message-IDs, or NULL */
    const char *conversation_id; /* sent as custom_args so events find their way back */
};

struct sendgrid_send_result {
    bool ok;
    long http_status;
    const char *message_id; /* X-Message-Id on success */
    const char *error_message;
};

/* Sends one mail from SWITCHBOARD_EMAIL_FROM. Returns 0 when SendGrid answered (look at
 * out->ok), or an error when unreachable/unconfigured (out->error_message says why). */
int sendgrid_send(const struct sendgrid_mail *m, struct arena *a, struct sendgrid_send_result *out);

#endif
