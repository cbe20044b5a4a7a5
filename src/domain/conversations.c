/*
 * conversations.c - opening conversations, appending messages, events, status changes and
 * scoring.
 *
 * Layer: domain. Scoring reads the conversation's messages and events, runs insight/score
 * (deterministic, local) and stores score, sentiment, outcome, a subject when there is none, the
 * one-line summary and the explanation, all in the caller's transaction.
 */
#include "domain/domain.h"

#include "core/ids.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "insight/score.h"

#include <jansson.h>
#include <string.h>

#define PREVIEW_BYTES 120

int dom_conv_open(struct store *s, const char *channel, int64_t customer_id, int64_t at,
                  const char *subject, const char *metadata, struct arena *a,
                  struct conversation *out, struct err *e)
{
    if (!dom_is_channel(channel))
        return err_set(e, ERR_INVALID, "channel", "unknown channel '%s'", channel ? channel : "");
    memset(out, 0, sizeof *out);
    if (!at)
        at = time_now_us();
    uuid_v7(at, out->id);
    out->customer_id = customer_id;
    out->channel = channel;
    out->status = "active";
    out->initiated_at = out->last_activity_at = at;
    out->subject = subject;
    out->metadata = metadata;
    return store_conv_insert(s, out, e);
}

/* The first PREVIEW_BYTES of content, cut on a UTF-8 boundary, with an ellipsis when cut. */
const char *dom_msg_preview(const char *content, struct arena *a)
{
    if (!content)
        return NULL;
    size_t n = strlen(content);
    if (n <= PREVIEW_BYTES)
        return content;
    size_t cut = PREVIEW_BYTES;
    while (cut > 0 && ((unsigned char)content[cut] & 0xC0) == 0x80)
        cut--;
    return arena_printf(a, "%.*s\xE2\x80\xA6", (int)cut, content);
}

int dom_msg_append(struct store *s, struct message *m, struct arena *a, struct err *e)
{
    if (!m->id[0])
        uuid_v7(m->sent_at, m->id);
    if (!m->sent_at)
        m->sent_at = time_now_us();
    if (!m->direction || (strcmp(m->direction, "inbound") && strcmp(m->direction, "outbound")))
        return err_set(e, ERR_INVALID, "direction", "direction must be inbound or outbound");
    m->preview = dom_msg_preview(m->content, a);
    return store_msg_insert(s, m, e);
}

int dom_event_record(struct store *s, const char *conv_id, const char *type,
                     const char *details, const char *message_id, int64_t at, struct err *e)
{
    if (!dom_is_event_type(type))
        return err_set(e, ERR_INVALID, "event_type",
                       "event_type must be 1 to 64 characters of a-z, 0-9, '_' and '.'");
    struct comm_event ev = {0};
    ev.timestamp = at ? at : time_now_us();
    uuid_v7(ev.timestamp, ev.id);
    snprintf(ev.conversation_id, sizeof ev.conversation_id, "%s", conv_id);
    ev.event_type = type;
    ev.details = details;
    ev.message_id = message_id;
    return store_event_insert(s, &ev, e);
}

/* Collects the function calls of the voice messages for scoring. */
static void add_calls(const char *function_calls, struct arena *a, struct score_call **calls,
                      size_t *n, size_t *cap)
{
    if (!function_calls)
        return;
    json_t *arr = json_loads(function_calls, 0, NULL);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return;
    }
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 8;
            struct score_call *bigger = arena_alloc(a, sizeof *bigger * nc);
            if (!bigger)
                break;
            if (*n)
                memcpy(bigger, *calls, sizeof *bigger * *n);
            *calls = bigger;
            *cap = nc;
        }
        const char *name = json_string_value(json_object_get(it, "name"));
        json_t *res = json_object_get(it, "result");
        char *res_text = res ? json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        (*calls)[*n].name = arena_strdup(a, name ? name : "");
        (*calls)[*n].result_json = res_text ? arena_strdup(a, res_text) : NULL;
        free(res_text);
        (*n)++;
    }
    json_decref(arr);
}

int dom_conv_score(struct store *s, const char *id, bool keep_outcome, struct arena *a,
                   struct conversation *out, struct err *e)
{
    struct detail d;
    int rc = store_conv_detail(s, id, a, &d, e);
    if (rc < 0)
        return rc;
    struct score_msg *msgs = arena_alloc(a, sizeof *msgs * (size_t)(d.n_msgs + 1));
    const char **types = arena_alloc(a, sizeof *types * (size_t)(d.n_events + 1));
    if (!msgs || !types)
        return err_set(e, ERR_NOMEM, NULL, "out of memory scoring");
    struct score_call *calls = NULL;
    size_t n_calls = 0, cap_calls = 0;
    double duration = 0;
    for (int i = 0; i < d.n_msgs; i++) {
        msgs[i].direction = d.msgs[i].direction;
        msgs[i].content = d.msgs[i].content;
        if (d.msgs[i].voice) {
            add_calls(d.msgs[i].voice->function_calls, a, &calls, &n_calls, &cap_calls);
            if (d.msgs[i].voice->duration_seconds > 0)
                duration += d.msgs[i].voice->duration_seconds;
        }
    }
    for (int i = 0; i < d.n_events; i++)
        types[i] = d.events[i].event_type;
    struct score_input in = {
        .channel = d.conv.channel,
        .subject = d.conv.subject,
        .msgs = msgs,
        .n_msgs = (size_t)d.n_msgs,
        .calls = calls,
        .n_calls = n_calls,
        .event_types = types,
        .n_events = (size_t)d.n_events,
        .duration_seconds = duration,
    };
    struct score_result r;
    if ((rc = score_conversation(&in, a, &r)) < 0)
        return err_set(e, rc, NULL, "scoring failed");
    struct conv_update u = {0};
    u.set_score = true;
    u.satisfaction_score = r.satisfaction_score;
    u.sentiment = r.sentiment;
    if (!(keep_outcome && d.conv.outcome))
        u.outcome = r.outcome;
    if ((!d.conv.subject || !*d.conv.subject) && r.subject && *r.subject)
        u.subject = r.subject;
    u.ai_summary = r.summary;
    u.score_explanation = r.explanation_json;
    if ((rc = store_conv_update(s, id, &u, e)) < 0)
        return rc;
    return out ? store_conv_get(s, id, a, out, e) : 0;
}

struct patch_ctx {
    const char *id;
    const struct dom_conv_patch *p;
    struct arena *a;
    struct conversation *out;
    int64_t at;
};

static int do_patch(struct store *s, void *vctx, struct err *e)
{
    struct patch_ctx *x = vctx;
    const struct dom_conv_patch *p = x->p;
    struct conversation cur;
    int rc = store_conv_get(s, x->id, x->a, &cur, e);
    if (rc < 0)
        return rc;
    struct conv_update u = {0};
    u.status = p->status;
    u.outcome = p->outcome;
    u.subject = p->subject;
    bool finishing = p->status && strcmp(p->status, "active") != 0;
    bool reopening = p->status && strcmp(p->status, "active") == 0 &&
                     strcmp(cur.status, "active") != 0;
    if (finishing && strcmp(cur.status, p->status) != 0) {
        u.set_completed_at = true;
        u.completed_at = x->at ? x->at : time_now_us();
        if (u.completed_at < cur.last_activity_at)
            u.completed_at = cur.last_activity_at;
    } else if (reopening) {
        u.set_completed_at = true;
        u.completed_at = 0;
    }
    if ((rc = store_conv_update(s, x->id, &u, e)) < 0)
        return rc;
    if (finishing)
        return dom_conv_score(s, x->id, p->outcome != NULL, x->a, x->out, e);
    return store_conv_get(s, x->id, x->a, x->out, e);
}

int dom_conv_patch(struct store *s, const char *id, const struct dom_conv_patch *p,
                   struct arena *a, struct conversation *out, struct err *e)
{
    if (p->status && !dom_is_status(p->status))
        return err_set(e, ERR_INVALID, "status", "status must be active, completed or failed");
    if (p->outcome && !dom_is_outcome(p->outcome))
        return err_set(e, ERR_INVALID, "outcome", "unknown outcome '%s'", p->outcome);
    if (p->subject && (strlen(p->subject) > 500 || !json_utf8_valid(p->subject, strlen(p->subject))))
        return err_set(e, ERR_INVALID, "subject", "subject must be valid UTF-8, at most 500 bytes");
    struct patch_ctx x = {id, p, a, out, 0};
    return dom_tx(s, do_patch, &x, e);
}

int dom_conv_complete(struct store *s, const char *id, int64_t at, struct arena *a,
                      struct conversation *out, struct err *e)
{
    struct dom_conv_patch p = {.status = "completed"};
    struct patch_ctx x = {id, &p, a, out, at};
    return do_patch(s, &x, e);
}
