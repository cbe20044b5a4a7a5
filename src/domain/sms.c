/*
 * sms.c - inbound SMS: deduplication, customer, threading and the opt-out ledger.
 *
 * Layer: domain. Everything happens in one write transaction, so a webhook is acknowledged only
 * after the message, its conversation and its ledger entry are committed together. Duplicates
 * are found by MessageSid before writing; two concurrent deliveries of the same sid serialize on
 * the write lock, and the unique index on the provider id settles any race across processes.
 */
#include "domain/domain.h"

#include "core/ids.h"
#include "core/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *dom_sms_keyword(const char *body)
{
    static const char *const OUT[] = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"};
    static const char *const IN[] = {"START", "YES", "UNSTOP"};
    static const char *const HELP[] = {"HELP", "INFO"};
    if (!body)
        return NULL;
    while (isspace((unsigned char)*body))
        body++;
    size_t n = strlen(body);
    while (n && isspace((unsigned char)body[n - 1]))
        n--;
    if (n == 0 || n > 11)
        return NULL;
#define MATCH(list, result)                                                                    \
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)                                  \
        if (strlen(list[i]) == n && strncasecmp(body, list[i], n) == 0)                        \
            return result;
    MATCH(OUT, "opt_out")
    MATCH(IN, "opt_in")
    MATCH(HELP, "help")
#undef MATCH
    return NULL;
}

struct rx {
    const struct dom_sms_in *in;
    struct arena *a;
    struct dom_sms_result *out;
};

static int receive(struct store *s, void *vctx, struct err *e)
{
    struct rx *x = vctx;
    const struct dom_sms_in *in = x->in;
    struct dom_sms_result *out = x->out;
    memset(out, 0, sizeof *out);
    int rc = store_sms_find(s, in->sid, out->message_id, out->conversation_id, e);
    if (rc == 0) {
        out->duplicate = true;
        return 0;
    }
    if (rc != ERR_NOTFOUND)
        return rc;
    int64_t now = in->received_at ? in->received_at : time_now_us();
    struct customer cu;
    bool created;
    if ((rc = dom_customer_for_phone(s, in->from, NULL, x->a, &cu, &created, e)) < 0)
        return rc;
    out->customer_id = cu.id;
    struct conversation conv;
    memset(&conv, 0, sizeof conv);
    rc = created ? ERR_NOTFOUND
                 : store_conv_active_thread(s, cu.id, "sms", conv.id, &conv.last_activity_at, e);
    if (rc == 0 && conv.last_activity_at < now - (int64_t)in->idle_minutes * 60 * TIME_US_PER_SEC) {
        /* the thread went idle: close it (and score it) before starting a new one */
        if ((rc = dom_conv_complete(s, conv.id, conv.last_activity_at, x->a, NULL, e)) < 0)
            return rc;
        rc = ERR_NOTFOUND;
    }
    bool opened = rc == ERR_NOTFOUND;
    if (opened) { /* a new thread is written already counting this message: no update after */
        memset(&conv, 0, sizeof conv);
        uuid_v7(now, conv.id);
        conv.customer_id = cu.id;
        conv.channel = "sms";
        conv.status = "active";
        conv.initiated_at = conv.last_activity_at = now;
        conv.message_count = 1;
        conv.last_message_preview = dom_msg_preview(in->body ? in->body : "", x->a);
        rc = store_conv_insert(s, &conv, e);
    }
    if (rc < 0)
        return rc;
    memcpy(out->conversation_id, conv.id, sizeof conv.id);
    struct msg_sms d = {
        .from_number = in->from,
        .to_number = in->to,
        .provider_message_id = in->sid,
        .delivery_status = "received",
        .segments = in->segments > 0 ? in->segments : 1,
        .media_urls = in->media_urls,
    };
    struct message m = {0};
    memcpy(m.conversation_id, conv.id, sizeof conv.id);
    m.channel = "sms";
    m.direction = "inbound";
    m.content = in->body ? in->body : "";
    m.sent_at = now;
    m.metadata = in->metadata;
    m.sms = &d;
    m.conv_counted = opened;
    if ((rc = dom_msg_append(s, &m, x->a, e)) < 0)
        return rc;
    memcpy(out->message_id, m.id, sizeof m.id);
    out->keyword = dom_sms_keyword(in->body);
    if (out->keyword) {
        bool opt_out = strcmp(out->keyword, "opt_out") == 0;
        if (strcmp(out->keyword, "help") != 0 &&
            (rc = store_optout_set(s, in->from, opt_out, in->body, now, m.id, e)) < 0)
            return rc;
        const char *type = opt_out ? "sms.opt_out"
                           : strcmp(out->keyword, "opt_in") == 0 ? "sms.opt_in"
                                                                 : "sms.help";
        char details[160];
        snprintf(details, sizeof details, "{\"phone\":\"%s\"}", in->from);
        if ((rc = dom_event_record(s, conv.id, type, details, m.id, now, e)) < 0)
            return rc;
    }
    return 0;
}

int dom_sms_receive(struct store *s, const struct dom_sms_in *in, struct arena *a,
                    struct dom_sms_result *out, struct err *e)
{
    if (!in->sid || !*in->sid || strlen(in->sid) > 64)
        return err_set(e, ERR_INVALID, "MessageSid", "MessageSid is missing or too long");
    struct rx x = {in, a, out};
    int rc = dom_tx(s, receive, &x, e);
    if (rc == ERR_CONFLICT) { /* lost a race with a concurrent delivery of the same sid */
        err_clear(e);
        rc = dom_tx(s, receive, &x, e);
    }
    return rc;
}

int dom_sms_receive_async(struct store *s, const struct dom_sms_in *in, struct arena *a,
                          struct dom_sms_result *out, struct err *e,
                          void (*on_done)(void *done_ctx, int rc), void *done_ctx)
{
    if (!in->sid || !*in->sid || strlen(in->sid) > 64)
        return err_set(e, ERR_INVALID, "MessageSid", "MessageSid is missing or too long");
    struct rx *x = arena_alloc(a, sizeof *x);
    if (!x)
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    x->in = in;
    x->a = a;
    x->out = out;
    return dom_tx_async(s, receive, x, e, on_done, done_ctx);
}
