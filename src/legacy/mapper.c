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
#include "core/jsonscan.h"
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

/* The call one function_called event records, through jansson: its compact dump of
 * {name, args, result}, each null when absent; nothing when the data is not an object. */
static void add_function_call_parsed(struct buf *calls, const char *data)
{
    json_t *d = json_loads(data, JSON_DECODE_ANY, NULL);
    if (json_is_object(d)) {
        json_t *call = json_object();
        json_t *name = json_object_get(d, "function");
        json_object_set(call, "name", name ? name : json_null());
        json_t *args = json_object_get(d, "arguments");
        json_object_set(call, "args", args ? args : json_null());
        json_t *res = json_object_get(d, "result");
        json_object_set(call, "result", res ? res : json_null());
        char *txt = json_dumps(call, JSON_COMPACT);
        if (txt) {
            if (calls->len > 1)
                buf_addc(calls, ',');
            buf_adds(calls, txt);
        } else {
            calls->failed = true;
        }
        free(txt);
        json_decref(call);
    }
    json_decref(d);
}

/* Appends one function_called event's call to the function_calls array (calls holds "[" and the
 * calls so far). The text is jansson's compact dump of {name, args, result}, written straight
 * from the event's data when jsonscan vouches for the same bytes (data without real numbers or
 * escapes: nearly all), else through jansson. */
static void add_function_call(struct buf *calls, const char *data, size_t n)
{
    static const char *const KEYS[] = {"function", "arguments", "result"};
    static const char *const NAMES[] = {"{\"name\":", ",\"args\":", ",\"result\":"};
    size_t mark = calls->len;
    if (calls->len > 1)
        buf_addc(calls, ',');
    for (int i = 0; i < 3; i++) {
        const char *v;
        size_t vn;
        int found = json_member(data, n, KEYS[i], &v, &vn);
        if (found == -1) { /* not an object: no call */
            buf_truncate(calls, mark);
            return;
        }
        buf_adds(calls, NAMES[i]);
        if (found == 0) {
            buf_lit(calls, "null");
        } else if (found < 0 || !json_compact(calls, v, vn)) {
            buf_truncate(calls, mark);
            add_function_call_parsed(calls, data);
            return;
        }
    }
    buf_addc(calls, '}');
}

static void meta_key(struct buf *b, const char *k)
{
    buf_lit(b, ",\"");
    buf_adds(b, k);
    buf_lit(b, "\":");
}

static void meta_str(struct buf *b, const char *k, const char *v)
{
    meta_key(b, k);
    json_str(b, v);
}

static void meta_int(struct buf *b, const char *k, int64_t v)
{
    meta_key(b, k);
    json_int_or_null(b, v, v < 0);
}

/* One field of the digest's text and its separator. */
static void field_i64(struct buf *b, int64_t v)
{
    buf_add_i64(b, v);
    buf_addc(b, '|');
}

static void field_str(struct buf *b, const char *s)
{
    if (s)
        buf_adds(b, s);
    buf_addc(b, '|');
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
    /* "id|customer|status|initiated|last|completed|score|sentiment|outcome|subject|
     *  sha256(content)|duration %.3f|interruptions|events|recording url" */
    field_i64(&b, legacy_id);
    field_i64(&b, customer_id);
    field_str(&b, status);
    field_i64(&b, initiated);
    field_i64(&b, last);
    field_i64(&b, completed);
    field_i64(&b, score);
    field_str(&b, sentiment);
    field_str(&b, outcome);
    field_str(&b, subject);
    field_str(&b, content_hash);
    buf_add_fixed(&b, duration, 3);
    buf_addc(&b, '|');
    field_i64(&b, interruptions);
    field_i64(&b, n_events);
    if (recording_url)
        buf_adds(&b, recording_url);
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
    buf_lit(&md, ",\"legacy_call_session_id\":\"");
    buf_add_i64(&md, s->id);
    buf_addc(&md, '"');
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
    /* each event's data is checked to be JSON; the calls it records are lifted out of it */
    struct buf calls;
    buf_init(&calls, 256, (size_t)64 << 20);
    buf_addc(&calls, '[');
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
        size_t dn = strlen(src->data);
        if (!json_utf8_valid(src->data, dn)) {
            rc = err_set(e, ERR_INVALID, "data", "call event %lld data is not valid UTF-8",
                         (long long)src->id);
            break;
        }
        if (!json_check(src->data, dn)) {
            rc = err_set(e, ERR_INVALID, "data", "call event %lld data is not JSON",
                         (long long)src->id);
            break;
        }
        if (for_write && strcmp(src->event_type, "function_called") == 0)
            add_function_call(&calls, src->data, dn);
    }
    buf_addc(&calls, ']');
    out->voice.function_calls = !for_write ? "[]" : buf_ok(&calls) ? arena_strdup(a, calls.data)
                                                                   : NULL;
    buf_release(&calls);
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
