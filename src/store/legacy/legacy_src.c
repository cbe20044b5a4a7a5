/*
 * legacy_src.c - opening a legacy source by URL and forwarding to its backend.
 *
 * Layer: store/legacy.
 */
#include "store/legacy/src_int.h"

#include "core/arena.h"
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

static struct legacy_src *open_mode(const char *url, bool writable, struct err *e)
{
    if (!url || !*url) {
        err_set(e, ERR_INVALID, "from", "no legacy database given (--from sqlite:PATH or "
                                        "postgres://...)");
        return NULL;
    }
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return legacy_pg_open(url, writable, e);
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
    if (strncmp(path, "//", 2) == 0)
        path += 2;
    return legacy_sqlite_open(path, writable, e);
}

struct legacy_src *legacy_src_open(const char *url, struct err *e)
{
    return open_mode(url, false, e);
}

struct legacy_src *legacy_src_open_writer(const char *url, struct err *e)
{
    return open_mode(url, true, e);
}

void legacy_call_params(const struct legacy_call_out *c, const char *p[16], char nums[7][32])
{
    snprintf(nums[0], 32, "%lld", (long long)c->customer_id);
    snprintf(nums[1], 32, "%lld", (long long)c->duration_seconds);
    snprintf(nums[2], 32, "%.2f", c->satisfaction_score);
    snprintf(nums[3], 32, "%lld", (long long)c->customer_interruptions);
    snprintf(nums[4], 32, "%lld", (long long)c->ai_clarifications_needed);
    snprintf(nums[5], 32, "%lld", (long long)c->function_calls_made);
    snprintf(nums[6], 32, "%s", c->escalated ? "1" : "0");
    p[0] = c->customer_id ? nums[0] : NULL;
    p[1] = c->session_id;
    p[2] = c->phone_number;
    p[3] = c->started_at;
    p[4] = c->ended_at;
    p[5] = c->ended_at ? nums[1] : NULL;
    p[6] = c->transcript;
    p[7] = c->recording_url;
    p[8] = c->has_score ? nums[2] : NULL;
    p[9] = c->sentiment;
    p[10] = c->outcome;
    p[11] = nums[3];
    p[12] = nums[4];
    p[13] = nums[5];
    p[14] = nums[6];
    p[15] = c->escalation_reason;
}

int legacy_src_write_call(struct legacy_src *src, const struct legacy_call_out *c,
                          int64_t *legacy_id, struct err *e)
{
    const char *p[16];
    char nums[7][32];
    legacy_call_params(c, p, nums);
    int rc = src->ops->exec(src, "BEGIN", NULL, 0, NULL, e);
    if (rc == 0)
        rc = src->ops->exec(src, LEGACY_INSERT_SESSION_SQL, p, 16, legacy_id, e);
    if (rc < 0 && p[0] && strstr(e->msg, "foreign key")) {
        /* a customer the legacy side has never seen (created after the backfill): the call
         * goes in without the link; its phone_number still names the caller */
        struct err ignored;
        src->ops->exec(src, "ROLLBACK", NULL, 0, NULL, &ignored);
        p[0] = NULL;
        err_clear(e);
        rc = src->ops->exec(src, "BEGIN", NULL, 0, NULL, e);
        if (rc == 0)
            rc = src->ops->exec(src, LEGACY_INSERT_SESSION_SQL, p, 16, legacy_id, e);
    }
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)*legacy_id);
    for (int i = 0; rc == 0 && i < c->n_events; i++) {
        const char *ep[4] = {id, c->event_types[i], c->event_times[i], c->event_data[i]};
        rc = src->ops->exec(src, LEGACY_INSERT_EVENT_SQL, ep, 4, NULL, e);
    }
    if (rc == 0)
        return src->ops->exec(src, "COMMIT", NULL, 0, NULL, e);
    struct err ignored;
    src->ops->exec(src, "ROLLBACK", NULL, 0, NULL, &ignored);
    return rc;
}

void legacy_src_close(struct legacy_src *src)
{
    if (src)
        src->ops->close(src);
}

/* ---- typed columns ------------------------------------------------------------------------ */

/* A plain decimal integer of at most 18 digits (what integer columns hold), without strtod. */
static bool plain_int(const char *v, int64_t *out)
{
    bool negative = *v == '-';
    const char *p = v + negative;
    int64_t n = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits <= 18; p++, digits++)
        n = n * 10 + (*p - '0');
    if (*p || digits == 0 || digits > 18)
        return false;
    *out = negative ? -n : n;
    return true;
}

static int64_t col_i64(const struct legacy_src *src, void *cur, int i, int64_t if_null)
{
    const char *v = src->ops->col(cur, i);
    if (!v || !*v)
        return if_null;
    int64_t n;
    if (plain_int(v, &n))
        return n;
    if (strcmp(v, "t") == 0 || strcmp(v, "true") == 0)
        return 1;
    if (strcmp(v, "f") == 0 || strcmp(v, "false") == 0)
        return 0;
    char *end;
    double d = strtod(v, &end); /* tolerate "3.0" in an integer column */
    return end == v ? if_null : (int64_t)d;
}

/* Copies column i into the arena (the cursor's memory moves on with the next step). */
static const char *col_str(const struct legacy_src *src, void *cur, int i, struct arena *a)
{
    return arena_strdup(a, src->ops->col(cur, i));
}

int legacy_src_counts(struct legacy_src *src, struct legacy_counts *out, struct err *e)
{
    static const char *const SQL[4] = {
        "SELECT count(*) FROM customers", "SELECT count(*) FROM appointments",
        "SELECT count(*) FROM call_sessions", "SELECT count(*) FROM call_events"};
    int64_t *dst[4] = {&out->customers, &out->appointments, &out->sessions, &out->events};
    for (int i = 0; i < 4; i++) {
        void *c = src->ops->query(src, SQL[i], NULL, 0, e);
        if (!c)
            return e->code;
        int rc = src->ops->step(c, e);
        *dst[i] = rc == 1 ? col_i64(src, c, 0, 0) : 0;
        src->ops->finish(c);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int legacy_src_customers(struct legacy_src *src,
                         int (*cb)(void *ctx, const struct legacy_customer *c), void *ctx,
                         struct err *e)
{
    void *c = src->ops->query(src, "SELECT " LEGACY_CUSTOMER_COLS " FROM customers ORDER BY id",
                              NULL, 0, e);
    if (!c)
        return e->code;
    struct arena *a = arena_new(4096, 0);
    int rc = a ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
    while (rc == 0 && (rc = src->ops->step(c, e)) == 1) {
        arena_reset(a);
        struct legacy_customer r = {
            .id = col_i64(src, c, 0, 0),
            .name = col_str(src, c, 1, a),
            .phone = col_str(src, c, 2, a),
            .email = col_str(src, c, 3, a),
            .notes = col_str(src, c, 4, a),
            .created_at = col_str(src, c, 5, a),
            .updated_at = col_str(src, c, 6, a),
            .is_new_client = (int)col_i64(src, c, 7, -1),
            .has_allergies = (int)col_i64(src, c, 8, -1),
            .is_pregnant = (int)col_i64(src, c, 9, -1),
        };
        rc = cb(ctx, &r);
    }
    src->ops->finish(c);
    arena_free(a);
    return rc < 0 || rc > 1 ? rc : 0;
}

int legacy_src_appointments(struct legacy_src *src,
                            int (*cb)(void *ctx, const struct legacy_appointment *ap), void *ctx,
                            struct err *e)
{
    void *c = src->ops->query(
        src, "SELECT " LEGACY_APPOINTMENT_COLS " FROM appointments ORDER BY id", NULL, 0, e);
    if (!c)
        return e->code;
    struct arena *a = arena_new(4096, 0);
    int rc = a ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory");
    while (rc == 0 && (rc = src->ops->step(c, e)) == 1) {
        arena_reset(a);
        struct legacy_appointment r = {
            .id = col_i64(src, c, 0, 0),
            .customer_id = col_i64(src, c, 1, 0),
            .calendar_event_id = col_str(src, c, 2, a),
            .appointment_datetime = col_str(src, c, 3, a),
            .service_type = col_str(src, c, 4, a),
            .provider = col_str(src, c, 5, a),
            .status = col_str(src, c, 6, a),
            .booked_by = col_str(src, c, 7, a),
            .special_requests = col_str(src, c, 8, a),
            .cancellation_reason = col_str(src, c, 9, a),
            .created_at = col_str(src, c, 10, a),
            .updated_at = col_str(src, c, 11, a),
            .cancelled_at = col_str(src, c, 12, a),
            .duration_minutes = col_i64(src, c, 13, -1),
        };
        rc = cb(ctx, &r);
    }
    src->ops->finish(c);
    arena_free(a);
    return rc < 0 || rc > 1 ? rc : 0;
}

/* Builds "AND <col> IN ($2, $3, ...)" for the session-id filter (parameters after $1). */
static char *in_list(const char *colname, int n, struct arena *a)
{
    if (n <= 0)
        return "";
    struct buf b;
    buf_init(&b, 64 + (size_t)n * 8, 0);
    buf_printf(&b, " AND %s IN (", colname);
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%s$%d", i ? ", " : "", i + 2);
    buf_addc(&b, ')');
    char *out = buf_ok(&b) ? arena_strdup(a, b.data) : NULL;
    buf_release(&b);
    return out;
}

int legacy_src_sessions(struct legacy_src *src, const struct legacy_session_filter *f,
                        int (*cb)(void *ctx, const struct legacy_session *s), void *ctx,
                        struct err *e)
{
    struct arena *q = arena_new(4096, 0);
    struct arena *a = arena_new(1 << 16, 0);
    if (!q || !a) {
        arena_free(q);
        arena_free(a);
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    }
    int n_ids = f->session_ids ? f->n_session_ids : 0;
    const char **params = arena_alloc(q, sizeof *params * (size_t)(n_ids + 1));
    char after[24];
    snprintf(after, sizeof after, "%lld", (long long)f->after_id);
    params[0] = after;
    for (int i = 0; i < n_ids; i++)
        params[i + 1] = f->session_ids[i];
    char *sess_in = in_list("session_id", n_ids, q);
    char *sql_s = arena_printf(q, "SELECT " LEGACY_SESSION_COLS " FROM call_sessions WHERE id > "
                                  "CAST($1 AS INTEGER)%s ORDER BY id",
                               sess_in);
    char *sql_e =
        n_ids ? arena_printf(q,
                             "SELECT " LEGACY_EVENT_COLS " FROM call_events WHERE call_session_id "
                             "IN (SELECT id FROM call_sessions WHERE id > CAST($1 AS INTEGER)%s) "
                             "ORDER BY call_session_id, id",
                             sess_in)
              : arena_printf(q,
                             "SELECT " LEGACY_EVENT_COLS " FROM call_events WHERE call_session_id "
                             "> CAST($1 AS INTEGER) ORDER BY call_session_id, id");
    void *cs = sql_s ? src->ops->query(src, sql_s, params, n_ids + 1, e) : NULL;
    void *ce = cs && sql_e ? src->ops->query(src, sql_e, params, n_ids + 1, e) : NULL;
    int rc = cs && ce ? 0 : (e->code ? e->code : ERR_NOMEM);
    int ev_state = rc == 0 ? src->ops->step(ce, e) : 0; /* 1 = an event row is pending */
    int cap = 64;
    struct legacy_event *evs = NULL;
    while (rc == 0 && ev_state >= 0 && (rc = src->ops->step(cs, e)) == 1) {
        arena_reset(a);
        evs = arena_alloc(a, sizeof *evs * (size_t)cap);
        struct legacy_session s = {
            .id = col_i64(src, cs, 0, 0),
            .customer_id = col_i64(src, cs, 1, 0),
            .session_id = col_str(src, cs, 2, a),
            .phone_number = col_str(src, cs, 3, a),
            .started_at = col_str(src, cs, 4, a),
            .ended_at = col_str(src, cs, 5, a),
            .transcript = col_str(src, cs, 6, a),
            .recording_url = col_str(src, cs, 7, a),
            .sentiment = col_str(src, cs, 8, a),
            .outcome = col_str(src, cs, 9, a),
            .escalation_reason = col_str(src, cs, 10, a),
            .duration_seconds = col_i64(src, cs, 11, -1),
            .customer_interruptions = col_i64(src, cs, 13, -1),
            .ai_clarifications_needed = col_i64(src, cs, 14, -1),
            .function_calls_made = col_i64(src, cs, 15, -1),
            .escalated = (int)col_i64(src, cs, 16, -1),
        };
        const char *score = src->ops->col(cs, 12);
        if (score && *score) {
            s.has_score = true;
            s.satisfaction_score = strtod(score, NULL);
        }
        /* events of sessions the stream skipped (ids between) are passed over */
        while (ev_state == 1 && col_i64(src, ce, 0, 0) < s.id)
            ev_state = src->ops->step(ce, e);
        while (ev_state == 1 && col_i64(src, ce, 0, 0) == s.id) {
            if (s.n_events == cap) {
                struct legacy_event *bigger = arena_alloc(a, sizeof *evs * (size_t)cap * 2);
                if (!bigger) {
                    rc = err_set(e, ERR_NOMEM, NULL, "session %lld has too many events",
                                 (long long)s.id);
                    break;
                }
                memcpy(bigger, evs, sizeof *evs * (size_t)cap);
                evs = bigger;
                cap *= 2;
            }
            struct legacy_event *ev = &evs[s.n_events++];
            ev->id = col_i64(src, ce, 1, 0);
            ev->event_type = col_str(src, ce, 2, a);
            ev->timestamp = col_str(src, ce, 3, a);
            ev->data = col_str(src, ce, 4, a);
            ev_state = src->ops->step(ce, e);
        }
        if (rc < 0)
            break;
        if (ev_state < 0) {
            rc = ev_state;
            break;
        }
        s.events = evs;
        rc = cb(ctx, &s);
        if (cap > 4096) /* a session with thousands of events: do not keep its big block */
            cap = 64;
    }
    if (cs)
        src->ops->finish(cs);
    if (ce)
        src->ops->finish(ce);
    arena_free(a);
    arena_free(q);
    return rc < 0 || rc > 1 ? rc : 0;
}
