/*
 * mapper.c - one legacy call session to one voice conversation (legacy.md "Mapping").
 *
 * Layer: legacy; pure apart from the conversation/event ids (UUIDv7 of their own times). What
 * has no column goes into the conversation's metadata, so nothing of the source is lost: the
 * legacy ids, the caller's phone text, escalation, the original outcome, sentiment and float
 * score, the clarification and function-call counters, and notes on anything that had to be
 * adjusted (a clamped score, a dangling customer id).
 */
#include "legacy/legacy.h"

#include "core/buf.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "domain/domain.h"

#include <jansson.h>
#include <math.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBJECT_CHARS 50

int64_t legacy_ts(const char *s)
{
    int64_t t;
    return s && time_parse(s, &t) ? t : 0;
}

/* The first n code points of s, plus an ellipsis when cut. */
static char *first_chars(const char *s, size_t n, struct arena *a)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0, i = 0;
    while (p[i] && chars < n) {
        i++;
        while ((p[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    if (!p[i])
        return arena_strdup(a, s);
    size_t end = i;
    while (end && (p[end - 1] == ' ' || p[end - 1] == '\t'))
        end--;
    return arena_printf(a, "%.*s\xE2\x80\xA6", (int)end, s);
}

static const char *map_outcome(const struct legacy_session *s, bool has_transcript)
{
    if (s->outcome) {
        const char *o = dom_outcome_from_legacy(s->outcome);
        return o ? o : "unresolved";
    }
    if (s->function_calls_made > 0)
        return "appointment_scheduled";
    return has_transcript ? "info_request" : "unresolved";
}

static const char *map_subject(const struct legacy_session *s, const struct transcript *t,
                               struct arena *a)
{
    if (s->outcome && strcmp(s->outcome, "booked") == 0)
        return "Appointment booking";
    if (s->outcome && strcmp(s->outcome, "rescheduled") == 0)
        return "Appointment rescheduling";
    if (s->outcome && strcmp(s->outcome, "cancelled") == 0)
        return "Appointment cancellation";
    if (s->escalated > 0)
        return "Customer escalation";
    const char *u = transcript_first_customer(t);
    return u ? first_chars(u, SUBJECT_CHARS, a) : "Voice call";
}

/* function_calls rebuilt from function_called events: [{name, args, result}]. */
/* Appends one function_called event's call to the function_calls array ({name, args, result}). */
static void add_function_call(json_t *calls, json_t *d)
{
    if (!json_is_object(d))
        return;
    json_t *call = json_object();
    json_t *name = json_object_get(d, "function");
    json_object_set(call, "name", name ? name : json_null());
    json_t *args = json_object_get(d, "arguments");
    json_object_set(call, "args", args ? args : json_null());
    json_t *res = json_object_get(d, "result");
    json_object_set(call, "result", res ? res : json_null());
    json_array_append_new(calls, call);
}

static const char *dump_calls(json_t *calls, struct arena *a)
{
    char *txt = json_dumps(calls, JSON_COMPACT);
    char *out = txt ? arena_strdup(a, txt) : NULL;
    free(txt);
    return out;
}

static void meta_str(struct buf *b, const char *k, const char *v)
{
    buf_printf(b, ",\"%s\":", k);
    json_str(b, v);
}

static void meta_int(struct buf *b, const char *k, int64_t v)
{
    buf_printf(b, ",\"%s\":", k);
    json_int_or_null(b, v, v < 0);
}

/* SHA-256 of a canonical text, folded to 64 bits; summed over sessions it gives a checksum
 * that does not depend on order. */
static uint64_t fold(const struct buf *b)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    sha256(b->data, b->len, md);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | md[i];
    return v;
}

/* The canonical text of the fields both sides must agree on. */
static uint64_t digest(int64_t legacy_id, int64_t customer_id, const char *status,
                       int64_t initiated, int64_t last, int64_t completed, int score,
                       const char *sentiment, const char *outcome, const char *subject,
                       const char *content, double duration, int64_t interruptions,
                       int64_t n_events, const char *recording_url)
{
    struct buf b;
    buf_init(&b, 512, 0);
    char content_hash[65];
    sha256_hex(content ? content : "", content ? strlen(content) : 0, content_hash);
    buf_printf(&b, "%lld|%lld|%s|%lld|%lld|%lld|%d|%s|%s|", (long long)legacy_id,
               (long long)customer_id, status ? status : "", (long long)initiated,
               (long long)last, (long long)completed, score, sentiment ? sentiment : "",
               outcome ? outcome : "");
    buf_adds(&b, subject ? subject : "");
    buf_printf(&b, "|%s|%.3f|%lld|%lld|", content_hash, duration, (long long)interruptions,
               (long long)n_events);
    buf_adds(&b, recording_url ? recording_url : "");
    uint64_t v = fold(&b);
    buf_release(&b);
    return v;
}

uint64_t legacy_digest_stored(const struct legacy_target_row *r)
{
    return digest(r->legacy_id, r->customer_id, r->status, r->initiated_at, r->last_activity_at,
                  r->completed_at, r->satisfaction_score, r->sentiment, r->outcome, r->subject,
                  r->content, r->duration_seconds, r->interruption_count, r->n_events,
                  r->recording_url);
}

static int map(const struct legacy_session *s, bool customer_known, bool for_write,
               struct arena *a, struct legacy_mapped *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->legacy_id = s->id;
    out->session_id = arena_strdup(a, s->session_id ? s->session_id : "");
    int64_t started = legacy_ts(s->started_at);
    int64_t ended = legacy_ts(s->ended_at);
    if (!started) {
        /* a session without a start: fall back to its first event, else refuse it */
        for (int i = 0; i < s->n_events && !started; i++)
            started = legacy_ts(s->events[i].timestamp);
        if (!started)
            return err_set(e, ERR_INVALID, "started_at",
                           "session has no valid started_at and no timed event");
    }
    if (s->ended_at && !ended)
        return err_set(e, ERR_INVALID, "ended_at", "ended_at '%.40s' is not a timestamp",
                       s->ended_at);
    if (ended && ended < started)
        ended = started;
    struct transcript t;
    if (transcript_parse(s->transcript, started, a, &t) < 0)
        return err_set(e, ERR_NOMEM, NULL, "out of memory parsing the transcript");
    bool has_transcript = t.n > 0;

    /* ids and the events' texts are only written, never compared: a comparison-only mapping
     * (legacy-verify) skips them, and with them three random draws per row */
    struct conversation *c = &out->conv;
    if (for_write)
        uuid_v7(started, c->id);
    c->customer_id = customer_known ? s->customer_id : 0;
    c->channel = "voice";
    c->status = ended ? "completed" : "failed";
    c->initiated_at = started;
    c->last_activity_at = ended ? ended : started;
    c->completed_at = ended;
    double score = s->satisfaction_score;
    bool clamped = false;
    if (s->has_score && isfinite(score)) {
        double r = floor(score + 0.5);
        int v = r < 1 ? 1 : r > 10 ? 10 : (int)r;
        clamped = score < 0 || score > 10;
        c->satisfaction_score = v;
    }
    c->sentiment = dom_is_sentiment(s->sentiment) ? arena_strdup(a, s->sentiment) : NULL;
    c->outcome = map_outcome(s, has_transcript);
    c->subject = map_subject(s, &t, a);
    c->message_count = 1;

    struct buf md;
    buf_init(&md, 512, 1 << 20);
    buf_lit(&md, "{\"source\":\"legacy\"");
    buf_printf(&md, ",\"legacy_call_session_id\":\"%lld\"", (long long)s->id);
    meta_str(&md, "legacy_session_id", s->session_id);
    meta_str(&md, "phone_number", s->phone_number);
    buf_lit(&md, ",\"escalated\":");
    json_bool(&md, s->escalated > 0);
    meta_str(&md, "escalation_reason", s->escalation_reason);
    meta_str(&md, "legacy_outcome", s->outcome);
    meta_str(&md, "legacy_sentiment", s->sentiment);
    buf_lit(&md, ",\"legacy_satisfaction_score\":");
    if (s->has_score && isfinite(score))
        json_double(&md, score);
    else
        buf_lit(&md, "null");
    meta_int(&md, "ai_clarifications_needed", s->ai_clarifications_needed);
    meta_int(&md, "function_calls_made", s->function_calls_made);
    if (clamped)
        buf_lit(&md, ",\"note_score\":\"legacy score outside 0..10, clamped\"");
    if (s->customer_id && !customer_known) {
        meta_int(&md, "legacy_customer_id", s->customer_id);
        buf_lit(&md, ",\"note_customer\":\"legacy customer id not found; call left unidentified\"");
    }
    if (s->sentiment && !c->sentiment)
        buf_lit(&md, ",\"note_sentiment\":\"legacy sentiment not one of the four values\"");
    buf_addc(&md, '}');
    c->metadata = buf_ok(&md) ? arena_strdup(a, md.data) : NULL;
    buf_release(&md);
    if (!c->metadata)
        return err_set(e, ERR_NOMEM, NULL, "out of memory building metadata");

    struct message *m = &out->msg;
    memcpy(m->conversation_id, c->id, sizeof c->id);
    if (for_write)
        uuid_v7(started, m->id);
    m->channel = "voice";
    m->direction = "inbound";
    m->content = has_transcript ? transcript_render(&t, a) : "";
    m->sent_at = started;
    m->processed = true;
    m->voice = &out->voice;
    out->voice.duration_seconds = s->duration_seconds >= 0 ? (double)s->duration_seconds
                                  : ended ? (double)(ended - started) / 1e6
                                          : 0;
    out->voice.recording_url = arena_strdup(a, s->recording_url);
    out->voice.transcript_segments = for_write ? transcript_segments_json(&t, a) : "[]";
    out->voice.interruption_count = s->customer_interruptions > 0 ? s->customer_interruptions : 0;
    out->voice.audio_quality_score = -1;
    if (!m->content || !out->voice.transcript_segments)
        return err_set(e, ERR_NOMEM, NULL, "out of memory mapping the transcript");
    c->last_message_preview = dom_msg_preview(m->content, a);
    m->preview = c->last_message_preview;
    m->conv_counted = true;

    out->events = arena_alloc(a, sizeof *out->events * (size_t)(s->n_events ? s->n_events : 1));
    if (!out->events)
        return err_set(e, ERR_NOMEM, NULL, "out of memory mapping events");
    /* each event's data is parsed once: to check it is JSON, and for the calls it records */
    json_t *calls = for_write ? json_array() : NULL;
    if (for_write && !calls)
        return err_set(e, ERR_NOMEM, NULL, "out of memory mapping events");
    int rc = 0;
    for (int i = 0; rc == 0 && i < s->n_events; i++) {
        const struct legacy_event *src = &s->events[i];
        struct comm_event *ev = &out->events[out->n_events++];
        if (!dom_is_event_type(src->event_type)) {
            rc = err_set(e, ERR_INVALID, "event_type",
                         "call event %lld has an event type the store cannot hold: '%.64s'",
                         (long long)src->id, src->event_type ? src->event_type : "");
            break;
        }
        ev->timestamp = legacy_ts(src->timestamp);
        if (!ev->timestamp)
            ev->timestamp = started;
        if (for_write) {
            uuid_v7(ev->timestamp, ev->id);
            memcpy(ev->conversation_id, c->id, sizeof c->id);
            ev->event_type = arena_strdup(a, src->event_type);
            ev->details = arena_strdup(a, src->data);
        }
        ev->message_id = m->id;
        if (!src->data)
            continue;
        if (!json_utf8_valid(src->data, strlen(src->data))) {
            rc = err_set(e, ERR_INVALID, "data", "call event %lld data is not valid UTF-8",
                         (long long)src->id);
            break;
        }
        json_t *d = json_loads(src->data, JSON_DECODE_ANY, NULL);
        if (!d) {
            rc = err_set(e, ERR_INVALID, "data", "call event %lld data is not JSON",
                         (long long)src->id);
            break;
        }
        if (calls && strcmp(src->event_type, "function_called") == 0)
            add_function_call(calls, d);
        json_decref(d);
    }
    out->voice.function_calls = rc == 0 && calls ? dump_calls(calls, a) : "[]";
    json_decref(calls);
    if (rc < 0)
        return rc;
    if (!out->voice.function_calls)
        return err_set(e, ERR_NOMEM, NULL, "out of memory mapping the function calls");
    out->digest = digest(s->id, c->customer_id, c->status, c->initiated_at, c->last_activity_at,
                         c->completed_at, c->satisfaction_score, c->sentiment, c->outcome,
                         c->subject, m->content, out->voice.duration_seconds,
                         out->voice.interruption_count, out->n_events, s->recording_url);
    return 0;
}

int legacy_map_session(const struct legacy_session *s, bool customer_known, struct arena *a,
                       struct legacy_mapped *out, struct err *e)
{
    return map(s, customer_known, true, a, out, e);
}

int legacy_map_for_digest(const struct legacy_session *s, bool customer_known, struct arena *a,
                          struct legacy_mapped *out, struct err *e)
{
    return map(s, customer_known, false, a, out, e);
}
