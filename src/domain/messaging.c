/*
 * messaging.c - outbound SMS and e-mail: validation, recipient, thread, the queued message,
 * the provider's answer, and delivery status callbacks.
 *
 * Layer: domain. The message is committed as `queued` before any provider is called (so a crash
 * mid-send leaves a visible queued message, never a silent send), then settled with the
 * provider's id and status or with `failed` and the error. Delivery statuses only move forward.
 */
#include "domain/domain.h"

#include "core/json.h"
#include "core/phone.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>

#define SMS_MAX_CHARS 1600
#define EMAIL_MAX_BYTES (512 * 1024)

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int validate(const struct dom_send_req *rq, struct err *e)
{
    if (!rq->channel || (strcmp(rq->channel, "sms") && strcmp(rq->channel, "email")))
        return err_set(e, ERR_INVALID, "channel", "channel must be sms or email");
    if (!rq->content || !*rq->content)
        return err_set(e, ERR_INVALID, "content", "content is required");
    size_t n = strlen(rq->content);
    if (!json_utf8_valid(rq->content, n))
        return err_set(e, ERR_INVALID, "content", "content is not valid UTF-8");
    if (strcmp(rq->channel, "sms") == 0 && utf8_chars(rq->content) > SMS_MAX_CHARS)
        return err_set(e, ERR_INVALID, "content", "an SMS holds at most %d characters",
                       SMS_MAX_CHARS);
    if (n > EMAIL_MAX_BYTES)
        return err_set(e, ERR_INVALID, "content", "content is larger than %d bytes",
                       EMAIL_MAX_BYTES);
    if (rq->subject && (strlen(rq->subject) > 998 || !json_utf8_valid(rq->subject, strlen(rq->subject))))
        return err_set(e, ERR_INVALID, "subject", "subject must be UTF-8 of at most 998 bytes");
    if (rq->conversation_id && !uuid_is_valid(rq->conversation_id))
        return err_set(e, ERR_INVALID, "conversation_id", "conversation_id must be a UUID");
    return 0;
}

/* Finds the recipient customer for a send without a conversation. */
static int recipient(struct store *s, const struct dom_send_req *rq, bool sms, struct arena *a,
                     struct customer *cu, struct err *e)
{
    bool created;
    if (rq->customer_id) {
        int rc = store_customer_get(s, rq->customer_id, a, cu, e);
        if (rc == ERR_NOTFOUND)
            err_set(e, ERR_NOTFOUND, "customer_id", "customer %lld not found",
                    (long long)rq->customer_id);
        return rc;
    }
    if (sms) {
        if (!rq->customer_phone)
            return err_set(e, ERR_INVALID, "customer_phone",
                           "an SMS needs conversation_id, customer_id or customer_phone");
        char e164[PHONE_E164_MAX];
        if (!phone_to_e164(rq->customer_phone, e164))
            return err_set(e, ERR_INVALID, "customer_phone", "customer_phone is not a valid number");
        return dom_customer_for_phone(s, arena_strdup(a, e164), rq->customer_name, a, cu,
                                      &created, e);
    }
    if (!rq->customer_email)
        return err_set(e, ERR_INVALID, "customer_email",
                       "an e-mail needs conversation_id, customer_id or customer_email");
    if (!dom_email_normalise(rq->customer_email, a))
        return err_set(e, ERR_INVALID, "customer_email", "customer_email is not an address");
    return dom_customer_for_email(s, rq->customer_email, rq->customer_name, a, cu, &created, e);
}

/* The Message-IDs an e-mail reply should reference: the thread's latest inbound message. */
static void threading(struct store *s, struct dom_send_plan *p, struct arena *a)
{
    struct message *msgs;
    int n;
    struct err ignored;
    if (store_msgs_for(s, p->conv.id, a, &msgs, &n, &ignored) < 0)
        return;
    for (int i = n - 1; i >= 0; i--) {
        const struct msg_email *x = msgs[i].email;
        if (!x || strcmp(msgs[i].direction, "inbound") != 0 || !x->provider_message_id)
            continue;
        p->in_reply_to = x->provider_message_id;
        p->references = p->in_reply_to;
        if (!p->subject && x->subject)
            p->subject = strncmp(x->subject, "Re:", 3) == 0
                             ? x->subject
                             : arena_printf(a, "Re: %s", x->subject);
        return;
    }
}

struct prep {
    const struct dom_send_req *rq;
    struct arena *a;
    struct dom_send_plan *p;
};

static int prepare(struct store *s, void *vctx, struct err *e)
{
    struct prep *x = vctx;
    const struct dom_send_req *rq = x->rq;
    struct dom_send_plan *p = x->p;
    struct arena *a = x->a;
    bool sms = strcmp(rq->channel, "sms") == 0;
    memset(p, 0, sizeof *p);
    struct customer cu = {0};
    int rc;
    if (rq->conversation_id) {
        char id[UUID_STR_LEN + 1];
        uuid_lower(rq->conversation_id, id);
        if ((rc = store_conv_get(s, id, a, &p->conv, e)) < 0) {
            if (rc == ERR_NOTFOUND)
                err_set(e, ERR_NOTFOUND, "conversation_id", "conversation %s not found", id);
            return rc;
        }
        if (strcmp(p->conv.channel, rq->channel) != 0)
            return err_set(e, ERR_INVALID, "channel",
                           "the conversation is a %s conversation; reply with channel %s",
                           p->conv.channel, p->conv.channel);
        if (!p->conv.customer_id)
            return err_set(e, ERR_INVALID, "conversation_id",
                           "the conversation has no identified customer to send to");
        if ((rc = store_customer_get(s, p->conv.customer_id, a, &cu, e)) < 0)
            return rc;
    } else if ((rc = recipient(s, rq, sms, a, &cu, e)) < 0) {
        return rc;
    }
    p->to = sms ? cu.phone : cu.email;
    p->to_name = cu.name;
    if (!p->to)
        return err_set(e, ERR_INVALID, sms ? "customer_phone" : "customer_email",
                       "the customer has no %s", sms ? "phone number" : "e-mail address");
    if (sms) {
        bool out = false;
        if ((rc = store_optout_get(s, p->to, &out, e)) < 0)
            return rc;
        if (out)
            return err_set(e, ERR_CONFLICT, "customer_phone",
                           "%s has opted out of SMS (replied STOP); nothing was sent", p->to);
    }
    int64_t now = time_now_us();
    if (!rq->conversation_id) {
        char id[UUID_STR_LEN + 1];
        int64_t last = 0;
        rc = store_conv_active_thread(s, cu.id, rq->channel, id, &last, e);
        if (rc == 0)
            rc = store_conv_get(s, id, a, &p->conv, e);
        if (rc == 0 &&
            p->conv.last_activity_at < now - (int64_t)rq->idle_minutes * 60 * TIME_US_PER_SEC)
            rc = ERR_NOTFOUND; /* idle: start a fresh thread */
        if (rc == ERR_NOTFOUND) {
            if (!sms && !rq->subject)
                return err_set(e, ERR_INVALID, "subject", "a new e-mail thread needs a subject");
            rc = dom_conv_open(s, rq->channel, cu.id, now, sms ? NULL : rq->subject, NULL, a,
                               &p->conv, e);
            p->created_conversation = rc == 0;
        }
        if (rc < 0)
            return rc;
    }
    p->subject = rq->subject;
    if (!sms) {
        threading(s, p, a);
        if (!p->subject)
            p->subject = p->conv.subject ? arena_printf(a, "Re: %s", p->conv.subject) : NULL;
        if (!p->subject)
            return err_set(e, ERR_INVALID, "subject", "subject is required");
    }
    struct message *m = &p->msg;
    memcpy(m->conversation_id, p->conv.id, sizeof p->conv.id);
    m->channel = rq->channel;
    m->direction = "outbound";
    m->content = rq->content;
    m->sent_at = now;
    m->processed = true;
    if (sms) {
        struct msg_sms *d = arena_calloc(a, sizeof *d);
        if (!d)
            return err_set(e, ERR_NOMEM, NULL, "out of memory");
        d->from_number = rq->from_number;
        d->to_number = p->to;
        d->delivery_status = "queued";
        d->segments = 1;
        m->sms = d;
    } else {
        struct msg_email *d = arena_calloc(a, sizeof *d);
        if (!d)
            return err_set(e, ERR_NOMEM, NULL, "out of memory");
        d->subject = p->subject;
        d->from_address = rq->from_email;
        d->to_address = p->to;
        d->body_text = rq->content;
        d->in_reply_to = p->in_reply_to;
        if (p->references) {
            struct buf r;
            buf_init(&r, 128, 64 * 1024);
            buf_addc(&r, '[');
            json_str(&r, p->references);
            buf_addc(&r, ']');
            d->references = buf_ok(&r) ? arena_strdup(a, r.data) : NULL;
            buf_release(&r);
        }
        d->delivery_status = "queued";
        m->email = d;
    }
    return dom_msg_append(s, m, a, e);
}

int dom_send_prepare(struct store *s, const struct dom_send_req *rq, struct arena *a,
                     struct dom_send_plan *plan, struct err *e)
{
    int rc = validate(rq, e);
    if (rc < 0)
        return rc;
    struct prep x = {rq, a, plan};
    return dom_tx(s, prepare, &x, e);
}

struct settle {
    const struct dom_send_plan *p;
    const struct dom_send_outcome *o;
};

static int settle(struct store *s, void *vctx, struct err *e)
{
    struct settle *x = vctx;
    const struct dom_send_outcome *o = x->o;
    const char *mid = x->p->msg.id;
    int64_t now = time_now_us();
    if (x->p->msg.sms) {
        struct sms_update u = {0};
        if (o->ok) {
            u.provider_message_id = o->provider_id;
            u.status = o->status ? o->status : "queued";
        } else {
            u.status = "failed";
            u.error_code = o->error_code;
            u.error_message = o->error_message;
            u.failed_at = now;
        }
        int rc = store_sms_update(s, mid, &u, e);
        if (rc < 0)
            return rc;
    } else {
        int rc = store_email_update(s, mid, o->ok ? o->provider_id : NULL,
                                    o->ok ? "sent" : "failed", e);
        if (rc < 0)
            return rc;
    }
    if (!o->ok) {
        struct buf d;
        buf_init(&d, 256, 8192);
        buf_lit(&d, "{\"error_code\":");
        json_str(&d, o->error_code);
        buf_lit(&d, ",\"error_message\":");
        json_str(&d, o->error_message);
        buf_addc(&d, '}');
        int rc = dom_event_record(s, x->p->conv.id, "message.send_failed",
                                  buf_ok(&d) ? d.data : NULL, mid, now, e);
        buf_release(&d);
        return rc;
    }
    return 0;
}

int dom_send_settle(struct store *s, const struct dom_send_plan *plan,
                    const struct dom_send_outcome *o, struct err *e)
{
    struct settle x = {plan, o};
    return dom_tx(s, settle, &x, e);
}

/* Rank of a Twilio status (providers.md §3); -1 for one we do not track. */
static int rank(const char *st)
{
    static const struct {
        const char *name;
        int rank;
    } R[] = {{"accepted", 0}, {"scheduled", 0}, {"queued", 1},     {"sending", 2},
             {"sent", 3},     {"delivered", 4}, {"undelivered", 4}, {"failed", 4},
             {"canceled", 4}, {"read", 5},      {"received", 4},    {"receiving", 2}};
    for (size_t i = 0; st && i < sizeof R / sizeof R[0]; i++)
        if (strcmp(R[i].name, st) == 0)
            return R[i].rank;
    return -1;
}

/* Our stored vocabulary for a Twilio status (api.md §0). */
static const char *stored_status(const char *st)
{
    if (!strcmp(st, "accepted") || !strcmp(st, "scheduled"))
        return "queued";
    if (!strcmp(st, "canceled"))
        return "failed";
    if (!strcmp(st, "receiving"))
        return "sending";
    return st;
}

struct status_ctx {
    const char *sid, *status, *error_code;
    int64_t at;
    struct arena *a;
    bool *known;
};

static int apply_status(struct store *s, void *vctx, struct err *e)
{
    struct status_ctx *x = vctx;
    struct sms_state cur;
    int rc = store_sms_state(s, x->sid, x->a, &cur, e);
    if (rc == ERR_NOTFOUND) {
        *x->known = false;
        return 0;
    }
    if (rc < 0)
        return rc;
    *x->known = true;
    const char *next = stored_status(x->status);
    int r_new = rank(x->status), r_old = rank(cur.status);
    bool terminal = r_old == 4;
    bool allowed = r_new > r_old && !(terminal && !(strcmp(cur.status, "delivered") == 0 &&
                                                    strcmp(next, "read") == 0));
    if (strcmp(next, cur.status) == 0)
        return 0; /* a repeated callback: nothing changes */
    if (!allowed) {
        char details[200];
        snprintf(details, sizeof details, "{\"sid\":\"%.40s\",\"status\":\"%.20s\",\"kept\":\"%.20s\"}",
                 x->sid, x->status, cur.status);
        return dom_event_record(s, cur.conv_id, "sms.status_ignored", details, cur.msg_id, x->at, e);
    }
    struct sms_update u = {0};
    u.status = next;
    if (strcmp(next, "delivered") == 0)
        u.delivered_at = x->at;
    if (strcmp(next, "failed") == 0 || strcmp(next, "undelivered") == 0) {
        u.failed_at = x->at;
        u.error_code = x->error_code;
    }
    return store_sms_update(s, cur.msg_id, &u, e);
}

int dom_sms_status(struct store *s, const char *sid, const char *status, const char *error_code,
                   int64_t at, struct arena *a, bool *known, struct err *e)
{
    *known = false;
    if (!sid || !*sid)
        return err_set(e, ERR_INVALID, "MessageSid", "MessageSid is required");
    if (!status || rank(status) < 0)
        return err_set(e, ERR_INVALID, "MessageStatus", "unknown MessageStatus '%s'",
                       status ? status : "");
    struct status_ctx x = {sid, status, error_code, at ? at : time_now_us(), a, known};
    return dom_tx(s, apply_status, &x, e);
}

#define IDEM_TTL_US (24 * 3600 * TIME_US_PER_SEC)

struct idem_ctx {
    const char *key, *hash;
    struct arena *a;
    struct idem_record rec;
};

static int claim(struct store *s, void *vctx, struct err *e)
{
    struct idem_ctx *x = vctx;
    int64_t now = time_now_us();
    return store_idem_claim(s, x->key, x->hash, now, now - IDEM_TTL_US, x->a, &x->rec, e);
}

int dom_idem_claim(struct store *s, const char *key, const char *hash, struct arena *a,
                   enum dom_idem *state, int *status, const char **response, struct err *e)
{
    size_t n = strlen(key);
    if (n == 0 || n > 255)
        return err_set(e, ERR_INVALID, "Idempotency-Key", "Idempotency-Key must be 1 to 255 "
                                                          "characters");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
            return err_set(e, ERR_INVALID, "Idempotency-Key",
                           "Idempotency-Key must be printable ASCII without spaces");
    struct idem_ctx x = {key, hash, a, {0}};
    int rc = dom_tx(s, claim, &x, e);
    if (rc < 0)
        return rc;
    *status = x.rec.status;
    *response = x.rec.response;
    if (!x.rec.existed)
        *state = DOM_IDEM_NEW;
    else if (!x.rec.same_request)
        *state = DOM_IDEM_MISMATCH;
    else if (!x.rec.done)
        *state = DOM_IDEM_IN_FLIGHT;
    else
        *state = DOM_IDEM_REPLAY;
    return 0;
}

struct finish_ctx {
    const char *key, *response;
    int status;
};

static int finish(struct store *s, void *vctx, struct err *e)
{
    struct finish_ctx *x = vctx;
    return store_idem_finish(s, x->key, x->status, x->response, e);
}

int dom_idem_finish(struct store *s, const char *key, int status, const char *response,
                    struct err *e)
{
    struct finish_ctx x = {key, response, status};
    return dom_tx(s, finish, &x, e);
}

static int release(struct store *s, void *vctx, struct err *e)
{
    return store_idem_release(s, vctx, e);
}

void dom_idem_release(struct store *s, const char *key)
{
    struct err ignored;
    dom_tx(s, release, (void *)key, &ignored);
}
