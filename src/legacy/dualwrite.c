/*
 * dualwrite.c - during a cutover, every finished voice call is also written to the legacy
 * schema (call_sessions/call_events) in the legacy vocabulary.
 *
 * Layer: legacy. The domain's voice-final hook runs inside the transaction that finalises the
 * call. When the legacy tables live in the same database, the legacy rows are written right
 * there: atomically with the call. Otherwise the call, translated, goes into legacy_outbox in
 * that same transaction, and a worker thread delivers the outbox to the legacy database with
 * retries and a growing delay (1 s doubling to 10 min); a legacy failure delays the copy and is
 * logged, it never loses or blocks the call. Each delivered call gets a legacy_map row (origin
 * dual_write), so legacy-migrate skips it and legacy-verify compares it.
 *
 * Vocabulary: appointment_scheduled -> booked, _rescheduled -> rescheduled, _cancelled ->
 * cancelled, info_request -> info_only, escalated, abandoned, unresolved -> browsing; complaint
 * has no legacy word and is written as browsing (documented in docs/cutover.md).
 */
#include "legacy/legacy.h"

#include "core/log.h"
#include "core/timeutil.h"
#include "domain/domain.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 100
#define MAX_DELAY_US (600 * TIME_US_PER_SEC)

const char *legacy_outcome_word(const char *outcome)
{
    static const char *const MAP[][2] = {
        {"appointment_scheduled", "booked"},   {"appointment_rescheduled", "rescheduled"},
        {"appointment_cancelled", "cancelled"}, {"info_request", "info_only"},
        {"escalated", "escalated"},             {"abandoned", "abandoned"},
        {"unresolved", "browsing"},             {"complaint", "browsing"},
    };
    for (size_t i = 0; outcome && i < sizeof MAP / sizeof MAP[0]; i++)
        if (strcmp(outcome, MAP[i][0]) == 0)
            return MAP[i][1];
    return NULL;
}

static char *legacy_time(int64_t t, struct arena *a)
{
    if (!t)
        return NULL;
    char iso[TIME_RFC3339_LEN + 1];
    time_format(t, iso);
    iso[10] = ' ';
    iso[26] = '\0'; /* "YYYY-MM-DD HH:MM:SS.ffffff", naive UTC as the legacy code wrote */
    return arena_strdup(a, iso);
}

/* Translates a finished voice conversation into a legacy call. */
static int translate(struct store *s, const char *conv_id, struct arena *a,
                     struct legacy_call_out *out, struct err *e)
{
    struct detail d;
    int rc = store_conv_detail(s, conv_id, a, &d, e);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof *out);
    const struct conversation *c = &d.conv;
    json_t *md = c->metadata ? json_loads(c->metadata, 0, NULL) : NULL;
    const char *sid = json_string_value(json_object_get(md, "session_id"));
    out->session_id = arena_strdup(a, sid ? sid : c->id);
    json_decref(md);
    out->customer_id = c->customer_id;
    out->phone_number = c->customer_phone;
    out->started_at = legacy_time(c->initiated_at, a);
    out->ended_at = legacy_time(c->completed_at, a);
    if (c->satisfaction_score) {
        out->has_score = true;
        out->satisfaction_score = c->satisfaction_score;
    }
    out->sentiment = c->sentiment;
    out->outcome = legacy_outcome_word(c->outcome);
    out->escalated = c->outcome && strcmp(c->outcome, "escalated") == 0;
    out->event_types = arena_alloc(a, sizeof(char *) * (size_t)(d.n_events + 1));
    out->event_times = arena_alloc(a, sizeof(char *) * (size_t)(d.n_events + 1));
    out->event_data = arena_alloc(a, sizeof(char *) * (size_t)(d.n_events + 1));
    if (!out->event_types || !out->event_times || !out->event_data)
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    for (int i = 0; i < d.n_events; i++) {
        const struct comm_event *ev = &d.events[i];
        out->event_types[out->n_events] = ev->event_type;
        out->event_times[out->n_events] = legacy_time(ev->timestamp, a);
        out->event_data[out->n_events] = ev->details;
        out->n_events++;
        if (strcmp(ev->event_type, "function_called") == 0)
            out->function_calls_made++;
        if (strcmp(ev->event_type, "escalated") == 0 ||
            strcmp(ev->event_type, "escalation_requested") == 0)
            out->escalated = true;
    }
    for (int i = 0; i < d.n_msgs; i++) {
        const struct msg_voice *v = d.msgs[i].voice;
        if (!v)
            continue;
        out->transcript = d.msgs[i].content;
        out->recording_url = v->recording_url;
        out->customer_interruptions = v->interruption_count;
        out->duration_seconds = v->duration_seconds > 0 ? (int64_t)(v->duration_seconds + 0.5) : 0;
    }
    return 0;
}

/* ---- the outbox payload ----------------------------------------------------------------- */

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static char *payload_of(const struct legacy_call_out *c, struct arena *a)
{
    json_t *o = json_object();
    set_str(o, "session_id", c->session_id);
    set_str(o, "phone_number", c->phone_number);
    set_str(o, "started_at", c->started_at);
    set_str(o, "ended_at", c->ended_at);
    json_object_set_new(o, "customer_id", json_integer(c->customer_id));
    json_object_set_new(o, "duration_seconds", json_integer(c->duration_seconds));
    set_str(o, "transcript", c->transcript);
    set_str(o, "recording_url", c->recording_url);
    json_object_set_new(o, "satisfaction_score",
                        c->has_score ? json_real(c->satisfaction_score) : json_null());
    set_str(o, "sentiment", c->sentiment);
    set_str(o, "outcome", c->outcome);
    json_object_set_new(o, "customer_interruptions", json_integer(c->customer_interruptions));
    json_object_set_new(o, "function_calls_made", json_integer(c->function_calls_made));
    json_object_set_new(o, "escalated", json_boolean(c->escalated));
    json_t *evs = json_array();
    for (int i = 0; i < c->n_events; i++) {
        json_t *ev = json_object();
        set_str(ev, "event_type", c->event_types[i]);
        set_str(ev, "timestamp", c->event_times[i]);
        set_str(ev, "data", c->event_data[i]);
        json_array_append_new(evs, ev);
    }
    json_object_set_new(o, "events", evs);
    char *txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *out = txt ? arena_strdup(a, txt) : NULL;
    free(txt);
    return out;
}

static const char *get_str(json_t *o, const char *k, struct arena *a)
{
    return arena_strdup(a, json_string_value(json_object_get(o, k)));
}

static int call_of(const char *payload, struct arena *a, struct legacy_call_out *c,
                   struct err *e)
{
    json_t *o = json_loads(payload, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return err_set(e, ERR_INVALID, "payload", "outbox payload is not a JSON object");
    }
    memset(c, 0, sizeof *c);
    c->session_id = get_str(o, "session_id", a);
    c->phone_number = get_str(o, "phone_number", a);
    c->started_at = get_str(o, "started_at", a);
    c->ended_at = get_str(o, "ended_at", a);
    c->customer_id = json_integer_value(json_object_get(o, "customer_id"));
    c->duration_seconds = json_integer_value(json_object_get(o, "duration_seconds"));
    c->transcript = get_str(o, "transcript", a);
    c->recording_url = get_str(o, "recording_url", a);
    json_t *score = json_object_get(o, "satisfaction_score");
    c->has_score = json_is_number(score);
    c->satisfaction_score = json_number_value(score);
    c->sentiment = get_str(o, "sentiment", a);
    c->outcome = get_str(o, "outcome", a);
    c->customer_interruptions = json_integer_value(json_object_get(o, "customer_interruptions"));
    c->function_calls_made = json_integer_value(json_object_get(o, "function_calls_made"));
    c->escalated = json_is_true(json_object_get(o, "escalated"));
    json_t *evs = json_object_get(o, "events");
    size_t n = json_array_size(evs);
    c->event_types = arena_alloc(a, sizeof(char *) * (n + 1));
    c->event_times = arena_alloc(a, sizeof(char *) * (n + 1));
    c->event_data = arena_alloc(a, sizeof(char *) * (n + 1));
    if (!c->event_types || !c->event_times || !c->event_data) {
        json_decref(o);
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_array_get(evs, i);
        c->event_types[i] = get_str(ev, "event_type", a);
        c->event_times[i] = get_str(ev, "timestamp", a);
        c->event_data[i] = get_str(ev, "data", a);
    }
    c->n_events = (int)n;
    json_decref(o);
    return 0;
}

/* ---- the hook, the outbox and its worker ---------------------------------------------------- */

struct dual {
    struct store *s;
    char *url;
    bool same_database;
    pthread_t worker;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop, started;
};

static struct dual dual;

static int on_voice_final(struct store *s, const char *conv_id, struct arena *a, void *ctx,
                          struct err *e)
{
    struct dual *d = ctx;
    struct legacy_call_out call;
    int rc = translate(s, conv_id, a, &call, e);
    if (rc < 0)
        return rc;
    if (d->same_database) { /* one database: the legacy rows commit with the call */
        int64_t legacy_id = 0;
        rc = store_legacy_call_write(s, &call, &legacy_id, e);
        if (rc == 0)
            rc = store_legacy_map_dual(s, legacy_id, call.session_id, conv_id, e);
        return rc;
    }
    char *payload = payload_of(&call, a);
    if (!payload)
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    rc = store_outbox_add(s, conv_id, payload, time_now_us(), e);
    if (rc == 0) {
        pthread_mutex_lock(&d->lock);
        pthread_cond_signal(&d->wake);
        pthread_mutex_unlock(&d->lock);
    }
    return rc;
}

struct deliver_ctx {
    const struct outbox_item *it;
    int64_t legacy_id;
    const char *session_id;
    bool ok;
    const char *error;
};

static int record(struct store *s, void *vctx, struct err *e)
{
    struct deliver_ctx *x = vctx;
    int64_t now = time_now_us();
    if (!x->ok) {
        int64_t delay = TIME_US_PER_SEC << (x->it->attempts < 20 ? x->it->attempts : 20);
        if (delay > MAX_DELAY_US)
            delay = MAX_DELAY_US;
        return store_outbox_failed(s, x->it->id, now + delay, x->error, e);
    }
    int rc = store_outbox_delivered(s, x->it->id, x->legacy_id, now, e);
    if (rc == 0)
        rc = store_legacy_map_dual(s, x->legacy_id, x->session_id, x->it->conversation_id, e);
    return rc;
}

int legacy_outbox_drain(struct store *s, const char *url, int *delivered, int *failed,
                        struct err *e)
{
    *delivered = *failed = 0;
    struct arena *a = arena_new(1 << 16, 0);
    if (!a)
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    struct outbox_item *items;
    int n = 0;
    int rc = store_outbox_due(s, time_now_us(), BATCH, a, &items, &n, e);
    struct legacy_src *dst = NULL;
    struct err de;
    err_clear(&de);
    if (rc == 0 && n > 0)
        dst = legacy_src_open_writer(url, &de);
    for (int i = 0; rc == 0 && i < n; i++) {
        struct deliver_ctx x = {.it = &items[i]};
        struct legacy_call_out call;
        if (!dst) {
            x.error = de.msg;
        } else if (call_of(items[i].payload, a, &call, &de) < 0 ||
                   legacy_src_write_call(dst, &call, &x.legacy_id, &de) < 0) {
            x.error = de.msg;
        } else {
            x.ok = true;
            x.session_id = call.session_id;
        }
        rc = dom_tx(s, record, &x, e);
        if (x.ok)
            (*delivered)++;
        else {
            (*failed)++;
            log_warn("legacy", "dual write of conversation '%s' failed (attempt %lld): %s",
                     items[i].conversation_id, (long long)items[i].attempts + 1, x.error);
        }
    }
    legacy_src_close(dst);
    arena_free(a);
    return rc;
}

static void *worker_main(void *arg)
{
    struct dual *d = arg;
    pthread_setname_np(pthread_self(), "sb-dualwrite");
    for (;;) {
        int delivered = 0, failed = 0;
        struct err e;
        err_clear(&e);
        if (legacy_outbox_drain(d->s, d->url, &delivered, &failed, &e) < 0)
            log_warn("legacy", "outbox: %s", e.msg);
        pthread_mutex_lock(&d->lock);
        if (!d->stop && delivered == 0) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&d->wake, &d->lock, &until);
        }
        bool stop = d->stop;
        pthread_mutex_unlock(&d->lock);
        if (stop)
            break;
    }
    return NULL;
}

/* The file behind a SQLite URL, resolved, or NULL for other URLs / missing files. */
static char *sqlite_file(const char *url)
{
    if (strncmp(url, "postgres", 8) == 0)
        return NULL;
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
    if (strncmp(path, "//", 2) == 0)
        path += 2;
    return realpath(path, NULL);
}

int legacy_dual_start(struct store *s, const char *db_url, const char *legacy_url,
                      struct err *e)
{
    memset(&dual, 0, sizeof dual);
    dual.s = s;
    dual.url = strdup(legacy_url);
    if (!dual.url)
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    char *a = sqlite_file(db_url), *b = sqlite_file(legacy_url);
    bool has = false;
    dual.same_database = a && b && strcmp(a, b) == 0 && store_has_legacy_tables(s, &has, e) == 0 &&
                         has;
    free(a);
    free(b);
    if (!dual.same_database) {
        struct legacy_src *probe = legacy_src_open_writer(legacy_url, e);
        if (!probe)
            log_warn("legacy", "dual write: the legacy database is not reachable now (%s); "
                               "finished calls wait in the outbox", e->msg);
        legacy_src_close(probe);
        err_clear(e);
        pthread_mutex_init(&dual.lock, NULL);
        pthread_cond_init(&dual.wake, NULL);
        if (pthread_create(&dual.worker, NULL, worker_main, &dual) != 0)
            return err_set(e, ERR_NOMEM, NULL, "cannot start the dual-write worker");
        dual.started = true;
    }
    dom_set_voice_final_hook(on_voice_final, &dual);
    log_info("legacy", "dual write on: finished calls also go to the legacy database %s",
             dual.same_database ? "(same database, same transaction)" : "(through the outbox)");
    return 0;
}

void legacy_dual_stop(void)
{
    dom_set_voice_final_hook(NULL, NULL);
    if (dual.started) {
        pthread_mutex_lock(&dual.lock);
        dual.stop = true;
        pthread_cond_signal(&dual.wake);
        pthread_mutex_unlock(&dual.lock);
        pthread_join(dual.worker, NULL);
        pthread_mutex_destroy(&dual.lock);
        pthread_cond_destroy(&dual.wake);
    }
    free(dual.url);
    memset(&dual, 0, sizeof dual);
}
