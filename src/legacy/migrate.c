/*
 * migrate.c - `legacy-migrate`: customers, appointments, then call sessions with their events,
 * in batches, idempotent, with progress, a summary, the error list and a verification.
 *
 * Layer: legacy. Order and guarantees:
 * - Customers and appointments keep their legacy ids; one that already exists is skipped.
 *   Phones become E.164; a phone (or e-mail) that another customer already holds after
 *   normalising is a near-duplicate: the customer is kept, without that value, the legacy text
 *   goes into its metadata, and the report names both customers. Nothing is merged silently.
 * - Sessions stream in id order. Each batch (--batch) is one transaction, including the
 *   legacy_map rows that mark its sessions as migrated, so a crash or kill -9 leaves whole
 *   batches only, and a re-run skips exactly what was committed. A batch that fails is rolled
 *   back and its sessions retried one by one, so one bad row never blocks its neighbours; a
 *   session that still fails is reported with its session id and the reason.
 * - A large load (BULK_MIN_SESSIONS, and twice what the target holds) sets the target's
 *   secondary indexes aside and rebuilds them at the end (store_bulk_begin/finish): about twice
 *   as fast as growing them row by row. The target records it, so a killed load is finished by
 *   the next run (or `migrate`, or the server's start); --keep-indexes opts out.
 * - The verification compares, for the sessions migrated in this run, the source and target
 *   counts (sessions, messages, details, events) and a checksum of the mapped fields read back
 *   from the target.
 * - With the indexes set aside, the verification reads the target on its own thread while the
 *   loading connection builds the search index (the last rebuild step).
 * Memory is flat in the number of sessions: the sessions migrated in this run are kept as spans
 * of the stream (one for a fresh load, one more per skipped or failed session).
 */
#include "legacy/legacy.h"

#include "core/json.h"
#include "core/log.h"
#include "core/phone.h"
#include "core/timeutil.h"
#include "domain/domain.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define DONE_WINDOW 4096

struct ids {
    int64_t *v;
    size_t n, cap;
};

static int ids_push(struct ids *s, int64_t id)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4096;
        int64_t *bigger = realloc(s->v, nc * sizeof *bigger);
        if (!bigger)
            return ERR_NOMEM;
        s->v = bigger;
        s->cap = nc;
    }
    s->v[s->n++] = id;
    return 0;
}

static bool ids_has(const struct ids *s, int64_t id) /* s sorted ascending */
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->v[lo] == id;
}

/* The sessions this run migrated, as spans of the stream: each span [lo, hi] holds every
 * source session with an id in it, since sessions stream in id order and a span ends at any
 * session that was skipped or failed (with --session-ids, every session is its own span). A
 * fresh load is one span, however many sessions. */
struct span {
    int64_t lo, hi;
};

struct spans {
    struct span *v;
    size_t n, cap;
    int64_t count; /* sessions */
};

static int spans_add(struct spans *s, int64_t id, bool after_gap)
{
    s->count++;
    if (s->n && !after_gap) {
        s->v[s->n - 1].hi = id;
        return 0;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        struct span *bigger = realloc(s->v, nc * sizeof *bigger);
        if (!bigger)
            return ERR_NOMEM;
        s->v = bigger;
        s->cap = nc;
    }
    s->v[s->n++] = (struct span){id, id};
    return 0;
}

static bool spans_has(const struct spans *s, int64_t id)
{
    size_t lo = 0, hi = s->n; /* the first span that ends at or after id */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->v[mid].hi < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->v[lo].lo <= id;
}

/* What the target holds for the sessions this run migrated, read back from it. */
struct verify_ctx {
    const struct spans *spans;
    uint64_t sum;
    int64_t sessions, messages, details, events;
    int64_t customers_missing; /* conversations whose customer does not exist */
    int64_t last_id, chunk_left; /* where the current chunk of the scan is */
    int rc;
    struct err e;
};

#define N_SLOTS 3

/* Loads at least this large (and at least twice the conversations already in the target) set the
 * target's secondary indexes aside and rebuild them at the end (store_bulk_begin). */
#define BULK_MIN_SESSIONS 20000

/* A batch of mapped sessions and the arena that holds them. */
struct slot {
    struct legacy_mapped *batch;
    bool *after_gap; /* per session: a session before it in the stream is not migrated */
    int n;
    struct arena *arena;
};

struct run {
    struct store *s;
    const struct legacy_opts *o;
    struct err e;
    /* customers phase */
    struct ids customers; /* legacy customer ids present in the target */
    bool no_customers, no_appointments; /* the target had none when the run began: no row
                                          * can already be there, so none is looked up */
    int64_t cust_migrated, cust_skipped, cust_duplicates, cust_errors;
    int64_t appt_migrated, appt_skipped, appt_errors;
    struct arena *tmp;
    /* sessions phase: the reader thread streams and maps into slots, the writer (the calling
     * thread) commits them; the counters each side writes are its own */
    struct slot slots[N_SLOTS];
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int ready[N_SLOTS], n_ready; /* filled slots, in order */
    int free_slots[N_SLOTS], n_free;
    bool reader_done, abort_run;
    int reader_rc;
    struct err reader_err;
    struct legacy_src *src;
    bool *seen_ids; /* per --session-ids entry: found in the source */
    struct slot *filling;
    int64_t queued;                                   /* reader: sessions sent to be written */
    _Atomic int64_t total;                            /* reader */
    int64_t skipped, map_errors;                      /* reader */
    int64_t migrated, errors, events;                 /* writer */
    int64_t total_expected;
    int64_t done[DONE_WINDOW];
    int n_done;
    int64_t done_lo, done_hi;
    struct spans done_spans; /* writer */
    bool reader_gap, write_gap; /* a span ends: the reader's and the writer's side */
    uint64_t src_sum;
    int64_t src_events;
    int64_t t0, last_progress;
    int64_t step_at; /* the index rebuild step under way: when it began, its name */
    char step_name[64];
    bool bulk; /* indexes set aside for this load */
    /* the verification, on its own thread while the search index is built (verify_start) */
    bool verify_early;
    bool verifying; /* the verifier thread runs, filling `check` */
    struct verify_ctx check;
    pthread_t verifier;
};

static void report_error(struct run *r, const char *what, const char *sid, int64_t id,
                         const char *reason)
{
    fprintf(r->o->log, "error: %s %s (id %lld): %s\n", what, sid ? sid : "", (long long)id,
            reason);
}

/* ---- customers and appointments ----------------------------------------------------------- */

struct cust_ctx {
    struct run *r;
    int in_tx;
};

static int flush_tx(struct run *r, int *in_tx)
{
    if (!*in_tx)
        return 0;
    *in_tx = 0;
    return store_commit(r->s, &r->e);
}

static int open_tx(struct run *r, int *in_tx)
{
    if (*in_tx)
        return 0;
    int rc = store_begin(r->s, true, &r->e);
    if (rc == 0)
        *in_tx = 1;
    return rc;
}

static int on_customer(void *vctx, const struct legacy_customer *lc)
{
    struct cust_ctx *x = vctx;
    struct run *r = x->r;
    arena_reset(r->tmp);
    bool exists = false;
    int rc = r->no_customers ? 0 : store_customer_exists(r->s, lc->id, &exists, &r->e);
    if (rc < 0)
        return rc;
    if (exists) {
        r->cust_skipped++;
        return ids_push(&r->customers, lc->id);
    }
    struct customer_import ci = {.id = lc->id,
                                 .name = lc->name && *lc->name ? lc->name : "Unknown",
                                 .notes = lc->notes,
                                 .is_new_client = lc->is_new_client,
                                 .has_allergies = lc->has_allergies,
                                 .is_pregnant = lc->is_pregnant,
                                 .created_at = legacy_ts(lc->created_at),
                                 .updated_at = legacy_ts(lc->updated_at)};
    if (!ci.created_at)
        ci.created_at = time_now_us();
    char e164[PHONE_E164_MAX];
    bool has_legacy_phone = false, has_legacy_email = false, has_duplicate_of = false;
    struct buf md;
    buf_init(&md, 128, 8192);
    buf_lit(&md, "{\"source\":\"legacy\"");
    if (lc->phone && phone_to_e164(lc->phone, e164)) {
        ci.phone = arena_strdup(r->tmp, e164);
        if (strcmp(e164, lc->phone) != 0) {
            buf_lit(&md, ",\"legacy_phone\":");
            json_str(&md, lc->phone);
            has_legacy_phone = true;
        }
    } else if (lc->phone) {
        buf_lit(&md, ",\"legacy_phone\":");
        json_str(&md, lc->phone);
        has_legacy_phone = true;
        buf_lit(&md, ",\"note_phone\":\"not a valid phone number\"");
        fprintf(r->o->log, "note: customer %lld: phone '%s' is not a valid number; kept in "
                           "metadata\n", (long long)lc->id, lc->phone);
    }
    if (lc->email) {
        ci.email = dom_email_normalise(lc->email, r->tmp);
        if (!ci.email || strcmp(ci.email, lc->email) != 0) {
            buf_lit(&md, ",\"legacy_email\":");
            json_str(&md, lc->email);
            has_legacy_email = true;
        }
    }
    buf_addc(&md, '}');
    ci.metadata = arena_strdup(r->tmp, md.data);
    buf_release(&md);
    if ((rc = open_tx(r, &x->in_tx)) < 0)
        return rc;
    /* a near-duplicate loses the value the other customer holds, and is reported */
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = store_customer_import(r->s, &ci, &r->e);
        if (rc != ERR_CONFLICT)
            break;
        const char *field = r->e.field ? r->e.field : "id";
        if (strcmp(field, "phone") == 0 || strcmp(field, "email") == 0) {
            struct customer other;
            bool is_phone = strcmp(field, "phone") == 0;
            int64_t other_id = 0;
            if ((is_phone ? store_customer_by_phone(r->s, ci.phone, r->tmp, &other, &r->e)
                          : store_customer_by_email(r->s, ci.email, r->tmp, &other, &r->e)) == 0)
                other_id = other.id;
            fprintf(r->o->log,
                    "near-duplicate: customer %lld '%s' has the %s %s of customer %lld; kept "
                    "without it (the legacy value is in its metadata), not merged\n",
                    (long long)lc->id, ci.name, field, is_phone ? ci.phone : ci.email,
                    (long long)other_id);
            struct buf b2;
            buf_init(&b2, 256, 8192);
            buf_add(&b2, ci.metadata, strlen(ci.metadata) - 1); /* reopen the object */
            if (!has_duplicate_of) /* the first conflict names the other customer */
                buf_printf(&b2, ",\"near_duplicate_of\":%lld", (long long)other_id);
            has_duplicate_of = true;
            if (!(is_phone ? has_legacy_phone : has_legacy_email)) {
                buf_printf(&b2, ",\"legacy_%s\":", field);
                json_str(&b2, is_phone ? lc->phone : lc->email);
            }
            buf_addc(&b2, '}');
            if (buf_ok(&b2))
                ci.metadata = arena_strdup(r->tmp, b2.data);
            buf_release(&b2);
            if (is_phone)
                ci.phone = NULL;
            else
                ci.email = NULL;
            r->cust_duplicates++;
            continue;
        }
        break;
    }
    if (rc == 0) {
        r->cust_migrated++;
        return ids_push(&r->customers, lc->id);
    }
    if (rc == ERR_CONFLICT && r->e.field && strcmp(r->e.field, "id") == 0) {
        err_clear(&r->e); /* written meanwhile (by another run) */
        r->cust_skipped++;
        return ids_push(&r->customers, lc->id);
    }
    if (rc == ERR_AGAIN || rc == ERR_BACKEND || rc == ERR_IO || rc == ERR_NOMEM)
        return rc;
    r->cust_errors++;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)lc->id);
    report_error(r, "customer", id, lc->id, r->e.msg);
    err_clear(&r->e);
    return 0;
}

static int on_appointment(void *vctx, const struct legacy_appointment *la)
{
    struct cust_ctx *x = vctx;
    struct run *r = x->r;
    bool exists = false;
    int rc = r->no_appointments ? 0 : store_appointment_exists(r->s, la->id, &exists, &r->e);
    if (rc < 0)
        return rc;
    if (exists) {
        r->appt_skipped++;
        return 0;
    }
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)la->id);
    if (!ids_has(&r->customers, la->customer_id)) {
        r->appt_errors++;
        report_error(r, "appointment", id, la->id, "its customer does not exist");
        return 0;
    }
    struct appointment_import ai = {.id = la->id,
                                    .customer_id = la->customer_id,
                                    .calendar_event_id = la->calendar_event_id,
                                    .service = la->service_type,
                                    .provider = la->provider,
                                    .status = la->status,
                                    .booked_by = la->booked_by,
                                    .special_requests = la->special_requests,
                                    .cancellation_reason = la->cancellation_reason,
                                    .starts_at = legacy_ts(la->appointment_datetime),
                                    .created_at = legacy_ts(la->created_at),
                                    .updated_at = legacy_ts(la->updated_at),
                                    .cancelled_at = legacy_ts(la->cancelled_at),
                                    .duration_minutes = la->duration_minutes};
    if (!ai.starts_at) {
        r->appt_errors++;
        report_error(r, "appointment", id, la->id, "appointment_datetime is not a timestamp");
        return 0;
    }
    if ((rc = open_tx(r, &x->in_tx)) < 0)
        return rc;
    rc = store_appointment_import(r->s, &ai, &r->e);
    if (rc == 0) {
        r->appt_migrated++;
        return 0;
    }
    if (rc == ERR_CONFLICT && r->e.field && strcmp(r->e.field, "id") == 0) {
        err_clear(&r->e); /* written meanwhile (by another run) */
        r->appt_skipped++;
        return 0;
    }
    if (rc != ERR_CONFLICT && rc != ERR_INVALID)
        return rc;
    r->appt_errors++;
    report_error(r, "appointment", id, la->id, r->e.msg);
    err_clear(&r->e);
    return 0;
}

/* Runs a streaming phase, committing every 2,000 rows. */
/* Runs a streaming phase in one transaction. (A dry run wraps both phases in an outer
 * transaction that it rolls back, so it meets the same conflicts a real run would.) */
static int phase(struct run *r, int (*stream)(struct legacy_src *, void *, void *, struct err *),
                 struct legacy_src *src, void *cb)
{
    struct cust_ctx x = {r, 0};
    int rc = stream(src, cb, &x, &r->e);
    if (rc == 0)
        rc = flush_tx(r, &x.in_tx);
    else if (x.in_tx)
        store_rollback(r->s);
    return rc;
}

static int stream_customers(struct legacy_src *src, void *cb, void *ctx, struct err *e)
{
    return legacy_src_customers(src, (int (*)(void *, const struct legacy_customer *))cb, ctx, e);
}

static int stream_appointments(struct legacy_src *src, void *cb, void *ctx, struct err *e)
{
    return legacy_src_appointments(src, (int (*)(void *, const struct legacy_appointment *))cb,
                                   ctx, e);
}

/* ---- sessions ----------------------------------------------------------------------------- */

/* Writes one mapped session and its legacy_map row, in the caller's transaction. */
static int write_one(struct run *r, const struct legacy_mapped *m)
{
    struct store *s = r->s;
    int rc = store_conv_insert(s, &m->conv, &r->e);
    if (rc == 0) /* the mapped conversation already counts its one message */
        rc = store_msg_insert(s, &m->msg, &r->e);
    for (int k = 0; rc == 0 && k < m->n_events; k++)
        rc = store_event_insert(s, &m->events[k], &r->e);
    if (rc == 0)
        rc = store_legacy_map_insert(s, m->legacy_id, m->session_id, m->conv.id, &r->e);
    return rc;
}

static void progress(struct run *r, bool final)
{
    int64_t now = time_mono_us();
    if (!final && now - r->last_progress < (r->o->progress ? 200000 : 5000000))
        return;
    r->last_progress = now;
    int64_t total = r->total;
    double secs = (double)(now - r->t0) / 1e6;
    double rate = secs > 0 ? (double)total / secs : 0;
    int64_t left = r->total_expected - total;
    double eta = rate > 0 && left > 0 ? (double)left / rate : 0;
    if (r->o->progress) {
        int width = 30;
        double frac = r->total_expected ? (double)total / (double)r->total_expected : 1;
        if (frac > 1)
            frac = 1;
        int fill = (int)(frac * width);
        fprintf(r->o->log, "\r[%.*s%*s] %3.0f%% %lld/%lld sessions %.0f/s ETA %.0fs   ", fill,
                "##############################", width - fill, "", frac * 100, (long long)total,
                (long long)r->total_expected, rate, eta);
        if (final)
            fputc('\n', r->o->log);
    } else {
        fprintf(r->o->log,
                "progress: %lld/%lld sessions (migrated %lld, errors %lld) %.0f/s ETA %.0fs\n",
                (long long)total, (long long)r->total_expected, (long long)r->migrated,
                (long long)(r->errors + r->map_errors), rate, eta);
    }
    fflush(r->o->log);
}

/* Commits one slot: one transaction for the batch, or, when it fails, one per session so a bad
 * session is reported alone. Runs on the writer thread. */
static int write_slot(struct run *r, struct slot *sl)
{
    int n = sl->n;
    int rc = 0;
    if (!r->o->dry_run) {
        rc = store_begin(r->s, true, &r->e);
        for (int i = 0; rc == 0 && i < n; i++)
            rc = write_one(r, &sl->batch[i]);
        if (rc == 0)
            rc = store_commit(r->s, &r->e);
        else
            store_rollback(r->s);
        if (rc == ERR_NOMEM || rc == ERR_IO)
            return rc;
        if (rc < 0) {
            err_clear(&r->e);
            for (int i = 0; i < n; i++) {
                int one = store_begin(r->s, true, &r->e);
                if (one == 0)
                    one = write_one(r, &sl->batch[i]);
                if (one == 0)
                    one = store_commit(r->s, &r->e);
                else
                    store_rollback(r->s);
                if (one < 0) {
                    r->errors++;
                    report_error(r, "session", sl->batch[i].session_id, sl->batch[i].legacy_id,
                                 r->e.msg);
                    err_clear(&r->e);
                    sl->batch[i].n_events = -1; /* not migrated */
                }
            }
            rc = 0;
        }
    }
    for (int i = 0; i < n; i++) {
        if (sl->batch[i].n_events < 0) {
            r->write_gap = true;
            continue;
        }
        r->migrated++;
        r->events += sl->batch[i].n_events;
        r->src_sum += sl->batch[i].digest;
        r->src_events += sl->batch[i].n_events;
        if (spans_add(&r->done_spans, sl->batch[i].legacy_id, sl->after_gap[i] || r->write_gap) < 0)
            return ERR_NOMEM;
        r->write_gap = false;
    }
    progress(r, false);
    return rc;
}

/* Reader side: hands the filling slot to the writer and takes a free one (blocking). */
static int hand_over(struct run *r)
{
    pthread_mutex_lock(&r->lock);
    if (r->filling && r->filling->n > 0) {
        r->ready[r->n_ready++] = (int)(r->filling - r->slots);
        r->filling = NULL;
        pthread_cond_broadcast(&r->changed);
    }
    while (!r->filling && !r->abort_run) {
        if (r->n_free > 0) {
            r->filling = &r->slots[r->free_slots[--r->n_free]];
            r->filling->n = 0;
            arena_reset(r->filling->arena);
        } else {
            pthread_cond_wait(&r->changed, &r->lock);
        }
    }
    int rc = r->abort_run ? ERR_IO : 0;
    pthread_mutex_unlock(&r->lock);
    return rc;
}

static bool already_done(struct run *r, int64_t id)
{
    if (id < r->done_lo || id > r->done_hi) {
        r->done_lo = id;
        r->done_hi = id + DONE_WINDOW * 4;
        struct err e;
        if (store_legacy_done(r->s, r->done_lo, r->done_hi, r->done, DONE_WINDOW, &r->n_done,
                              &e) < 0)
            r->n_done = 0;
        if (r->n_done == DONE_WINDOW) /* the window is full: shrink it to what we hold */
            r->done_hi = r->done[DONE_WINDOW - 1];
    }
    for (int i = 0; i < r->n_done; i++)
        if (r->done[i] == id)
            return true;
    return false;
}

static int on_session(void *vctx, const struct legacy_session *ls)
{
    struct run *r = vctx;
    if (r->o->limit && r->queued >= r->o->limit)
        return 1; /* enough for this run */
    if (!r->filling && hand_over(r) < 0)
        return ERR_IO;
    r->total++;
    for (int i = 0; r->seen_ids && i < r->o->n_session_ids; i++)
        if (ls->session_id && strcmp(ls->session_id, r->o->session_ids[i]) == 0)
            r->seen_ids[i] = true;
    if (already_done(r, ls->id)) {
        r->skipped++;
        r->reader_gap = true;
        return 0;
    }
    struct slot *sl = r->filling;
    struct legacy_mapped *m = &sl->batch[sl->n];
    bool known = !ls->customer_id || ids_has(&r->customers, ls->customer_id);
    if (legacy_map_session(ls, known, sl->arena, m, &r->reader_err) < 0) {
        if (r->reader_err.code == ERR_NOMEM)
            return ERR_NOMEM;
        r->map_errors++;
        r->reader_gap = true;
        report_error(r, "session", ls->session_id, ls->id, r->reader_err.msg);
        err_clear(&r->reader_err);
        return 0;
    }
    /* --session-ids streams only the chosen sessions: the ids between two of them are not
     * this run's, so each chosen session is a span of its own */
    sl->after_gap[sl->n] = r->reader_gap || r->o->session_ids;
    r->reader_gap = false;
    sl->n++;
    r->queued++;
    if (sl->n == r->o->batch)
        return hand_over(r);
    return 0;
}

static void *reader_main(void *arg)
{
    struct run *r = arg;
    pthread_setname_np(pthread_self(), "sb-reader");
    struct legacy_session_filter f = {.after_id = 0,
                                      .session_ids = r->o->session_ids,
                                      .n_session_ids = r->o->n_session_ids};
    int rc = legacy_src_sessions(r->src, &f, on_session, r, &r->reader_err);
    if (rc == 1)
        rc = 0;
    pthread_mutex_lock(&r->lock);
    if (r->filling && r->filling->n > 0)
        r->ready[r->n_ready++] = (int)(r->filling - r->slots);
    r->filling = NULL;
    r->reader_rc = rc;
    r->reader_done = true;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Writer side: commits slots as the reader fills them, until the reader is done. */
static int sessions_phase(struct run *r)
{
    for (int i = 0; i < N_SLOTS; i++) {
        r->slots[i].batch = calloc((size_t)r->o->batch, sizeof *r->slots[i].batch);
        r->slots[i].after_gap = calloc((size_t)r->o->batch, sizeof *r->slots[i].after_gap);
        r->slots[i].arena = arena_new(1 << 20, (size_t)1 << 30);
        if (!r->slots[i].batch || !r->slots[i].after_gap || !r->slots[i].arena)
            return err_set(&r->e, ERR_NOMEM, NULL, "out of memory for batches");
        r->free_slots[r->n_free++] = i;
    }
    pthread_t reader;
    if (pthread_create(&reader, NULL, reader_main, r) != 0)
        return err_set(&r->e, ERR_NOMEM, NULL, "cannot start the reader thread");
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while (r->n_ready == 0 && !r->reader_done)
            pthread_cond_wait(&r->changed, &r->lock);
        if (r->n_ready == 0 && r->reader_done) {
            pthread_mutex_unlock(&r->lock);
            break;
        }
        int idx = r->ready[0];
        memmove(r->ready, r->ready + 1, sizeof r->ready[0] * (size_t)--r->n_ready);
        pthread_mutex_unlock(&r->lock);
        rc = write_slot(r, &r->slots[idx]);
        pthread_mutex_lock(&r->lock);
        r->free_slots[r->n_free++] = idx;
        if (rc < 0)
            r->abort_run = true;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        if (rc < 0)
            break;
    }
    pthread_join(reader, NULL);
    if (rc == 0 && r->reader_rc < 0) {
        rc = r->reader_rc;
        r->e = r->reader_err;
    }
    return rc;
}

/* The batches' memory, once the sessions are written (before the index rebuild, which sorts). */
static void release_slots(struct run *r)
{
    for (int i = 0; i < N_SLOTS; i++) {
        free(r->slots[i].batch);
        free(r->slots[i].after_gap);
        arena_free(r->slots[i].arena);
        r->slots[i].batch = NULL;
        r->slots[i].after_gap = NULL;
        r->slots[i].arena = NULL;
    }
}

/* ---- indexes set aside for a large load ---------------------------------------------------- */

static void verify_start(struct run *r);

/* Each step is reported as it starts and when it is done, with its time. */
static void step_done(struct run *r, int64_t now)
{
    if (r->step_name[0])
        fprintf(r->o->log, "indexes: rebuilt %s in %.1f s\n", r->step_name,
                (double)(now - r->step_at) / 1e6);
    r->step_name[0] = '\0';
}

static void rebuild_step(void *ctx, const char *what, int i, int n, bool joins_ready)
{
    struct run *r = ctx;
    int64_t now = time_mono_us();
    step_done(r, now);
    snprintf(r->step_name, sizeof r->step_name, "%s", what);
    r->step_at = now;
    fprintf(r->o->log, "indexes: rebuilding %s (%d/%d)\n", what, i, n);
    fflush(r->o->log);
    if (joins_ready) /* what verification reads through is indexed */
        verify_start(r);
}

static int rebuild_indexes(struct run *r)
{
    int64_t t = time_mono_us();
    r->step_name[0] = '\0';
    int rc = store_bulk_finish(r->s, rebuild_step, r, &r->e);
    if (rc == 0) {
        step_done(r, time_mono_us());
        fprintf(r->o->log, "indexes: rebuilt in %.1f s\n", (double)(time_mono_us() - t) / 1e6);
    }
    return rc;
}

/* Sets the indexes aside when the load is large for the target, or resumes a load that was
 * interrupted with them set aside. */
static int bulk_start(struct run *r)
{
    int pending = 0;
    int rc = store_bulk_pending(r->s, &pending, &r->e);
    if (rc < 0 || r->o->dry_run)
        return rc;
    if (pending && r->o->keep_indexes)
        return rebuild_indexes(r);
    if (!pending) {
        int64_t want = r->total_expected, have = 0;
        if (r->o->limit && r->o->limit < want)
            want = r->o->limit;
        if (r->o->keep_indexes || want < BULK_MIN_SESSIONS)
            return 0;
        if ((rc = store_count_conversations(r->s, &have, &r->e)) < 0)
            return rc;
        if (have >= want / 2)
            return 0;
    }
    fprintf(r->o->log, "indexes: set aside for the load and rebuilt at the end%s\n",
            pending ? " (resuming an interrupted load)" : "");
    r->bulk = true;
    return store_bulk_begin(r->s, &r->e);
}

/* ---- verification ------------------------------------------------------------------------- */

/* Rows read per read transaction: a scan that held one snapshot from start to end would keep the
 * checkpointer from restarting the WAL under the load's index rebuild, which then grew it past
 * the bound where the loading connection must checkpoint it itself (seconds, in one step). */
#define VERIFY_CHUNK 16384

static int on_target(void *vctx, const struct legacy_target_row *t)
{
    struct verify_ctx *v = vctx;
    v->last_id = t->legacy_id;
    if (--v->chunk_left == 0)
        return 1; /* this chunk is done (the row is read again by the next) */
    if (!spans_has(v->spans, t->legacy_id))
        return 0;
    v->sessions++;
    v->messages += t->n_messages;
    v->details += t->duration_seconds >= 0 || t->transcript_segments ? 1 : 0;
    v->events += t->n_events;
    v->customers_missing += t->customer_missing;
    v->sum += legacy_digest_stored(t);
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void verify_read(struct store *s, struct verify_ctx *v)
{
    const struct spans *sp = v->spans;
    err_clear(&v->e);
    v->rc = 0;
    if (!sp->n)
        return;
    int64_t after = sp->v[0].lo - 1;
    for (;;) {
        v->chunk_left = VERIFY_CHUNK;
        v->rc = store_legacy_scan(s, after, sp->v[sp->n - 1].hi, on_target, v, &v->e);
        if (v->rc != 1)
            break;
        after = v->last_id - 1; /* from the row that ended the chunk, which was not counted */
    }
}

/* The verification's own thread: its own connection (bounded memory, like the load's), which
 * reads the committed sessions while the loading connection builds the search index. */
static void *verifier_main(void *arg)
{
    struct run *r = arg;
    pthread_setname_np(pthread_self(), "sb-verify");
    if ((r->check.rc = store_scan_mode(r->s, &r->check.e)) == 0)
        verify_read(r->s, &r->check);
    return NULL;
}

/* Starts reading the target back on a thread (the writer is done with the spans); without one,
 * verify reads on the caller's. */
static void verify_start(struct run *r)
{
    if (r->verifying || !r->verify_early || r->o->dry_run)
        return;
    r->check = (struct verify_ctx){.spans = &r->done_spans};
    r->verifying = pthread_create(&r->verifier, NULL, verifier_main, r) == 0;
}

/* Compares what the source side summed while mapping with what the target holds, and prints
 * the verification line. */
static bool verify(struct run *r)
{
    struct verify_ctx *v = &r->check;
    if (r->verifying) {
        pthread_join(r->verifier, NULL);
        r->verifying = false;
    } else {
        *v = (struct verify_ctx){.spans = &r->done_spans};
        verify_read(r->s, v);
    }
    bool ok = false;
    if (v->rc < 0) {
        fprintf(r->o->log, "verify: cannot read the target: %s\n", v->e.msg);
    } else {
        int64_t want = r->done_spans.count;
        ok = v->sessions == want && v->messages == want && v->details == want &&
             v->events == r->src_events && v->sum == r->src_sum && v->customers_missing == 0;
        FILE *f = r->o->json ? r->o->log : r->o->out; /* --json keeps stdout one JSON object */
        fprintf(f,
                "verify: sessions %lld/%lld conversations, messages %lld/%lld, details "
                "%lld/%lld, events %lld/%lld, checksum %016llx/%016llx",
                (long long)want, (long long)v->sessions, (long long)want,
                (long long)v->messages, (long long)want, (long long)v->details,
                (long long)r->src_events, (long long)v->events, (unsigned long long)r->src_sum,
                (unsigned long long)v->sum);
        if (v->customers_missing) /* a customer deleted while the load ran */
            fprintf(f, ", %lld conversations name a customer that does not exist",
                    (long long)v->customers_missing);
        fprintf(f, ": %s\n", ok ? "OK" : "MISMATCH");
    }
    return ok;
}

/* ---- the run ------------------------------------------------------------------------------- */

int legacy_migrate(struct store *s, const struct legacy_opts *o)
{
    struct run r = {.s = s, .o = o};
    err_clear(&r.e);
    struct legacy_src *src = legacy_src_open(o->from, &r.e);
    if (!src) {
        fprintf(o->log, "legacy-migrate: %s\n", r.e.msg);
        return 2;
    }
    int status = 1;
    struct legacy_counts counts;
    r.src = src;
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.changed, NULL);
    r.tmp = arena_new(1 << 16, 0);
    r.t0 = r.last_progress = time_mono_us();
    r.done_lo = 1;
    r.done_hi = 0;
    int rc = r.tmp ? 0 : ERR_NOMEM;
    if (rc == 0)
        rc = store_bulk_mode(s, &r.e);
    if (rc == 0)
        rc = legacy_src_counts(src, &counts, &r.e);
    int64_t have_customers = 0, have_appointments = 0;
    if (rc == 0)
        rc = store_count_customers(s, &have_customers, &have_appointments, &r.e);
    r.no_customers = have_customers == 0;
    r.no_appointments = have_appointments == 0;
    if (rc == 0) {
        fprintf(o->log, "source: %lld customers, %lld appointments, %lld sessions, %lld events%s\n",
                (long long)counts.customers, (long long)counts.appointments,
                (long long)counts.sessions, (long long)counts.events,
                o->dry_run ? " (dry run: nothing will be written)" : "");
        r.total_expected = o->session_ids ? o->n_session_ids : counts.sessions;
        /* before the customers: a load checks no keys, and the appointments it writes name only
         * customers it has seen in the target */
        rc = bulk_start(&r);
        if (rc == 0 && o->dry_run)
            rc = store_begin(s, true, &r.e);
        if (rc == 0)
            rc = phase(&r, stream_customers, src, on_customer);
    }
    if (rc == 0) {
        if (r.customers.n)
            qsort(r.customers.v, r.customers.n, sizeof *r.customers.v, cmp_i64);
        rc = phase(&r, stream_appointments, src, on_appointment);
    }
    if (o->dry_run) /* everything the two phases wrote is undone */
        store_rollback(s);
    if (rc == 0)
        fprintf(o->log,
                "customers: %lld migrated, %lld already present, %lld near-duplicates kept apart, "
                "%lld errors; appointments: %lld migrated, %lld already present, %lld errors "
                "(%.1f s)\n",
                (long long)r.cust_migrated, (long long)r.cust_skipped,
                (long long)r.cust_duplicates, (long long)r.cust_errors,
                (long long)r.appt_migrated, (long long)r.appt_skipped, (long long)r.appt_errors,
                (double)(time_mono_us() - r.t0) / 1e6);
    if (rc == 0 && o->session_ids && !(r.seen_ids = calloc((size_t)o->n_session_ids, 1)))
        rc = ERR_NOMEM;
    int64_t t_sessions = time_mono_us();
    if (rc == 0)
        rc = sessions_phase(&r);
    if (rc == 0)
        fprintf(o->log, "sessions: %lld written in %.1f s\n", (long long)r.migrated,
                (double)(time_mono_us() - t_sessions) / 1e6);
    for (int i = 0; rc == 0 && r.seen_ids && i < o->n_session_ids; i++) {
        if (r.seen_ids[i] || (o->limit && r.queued >= o->limit))
            continue;
        r.map_errors++;
        report_error(&r, "session", o->session_ids[i], 0, "not found in the legacy database");
    }
    progress(&r, true);
    release_slots(&r);
    if (r.bulk) { /* also after a failure: the target keeps its whole schema */
        struct err saved = r.e;
        r.verify_early = rc == 0; /* alongside the search index */
        int brc = rebuild_indexes(&r);
        if (brc < 0)
            fprintf(o->log, "legacy-migrate: rebuilding the indexes failed: %s (the next run, "
                            "`switchboard migrate` or the server finishes it)\n", r.e.msg);
        if (rc == 0)
            rc = brc;
        else
            r.e = saved;
    }
    double secs = (double)(time_mono_us() - r.t0) / 1e6;
    if (rc < 0) {
        fprintf(o->log, "legacy-migrate: stopped: %s\n", r.e.msg[0] ? r.e.msg : err_name(rc));
    }
    int64_t errors = r.errors + r.map_errors + r.cust_errors + r.appt_errors;
    bool verified = o->dry_run || rc < 0 ? false : verify(&r);
    if (r.verifying) /* started, then the rebuild failed */
        pthread_join(r.verifier, NULL);
    if (o->json)
        fprintf(o->out,
                "{\"total\":%lld,\"migrated\":%lld,\"skipped\":%lld,\"errors\":%lld,"
                "\"events\":%lld,\"seconds\":%.2f,\"dry_run\":%s,\"verified\":%s,"
                "\"customers\":{\"migrated\":%lld,\"skipped\":%lld,\"near_duplicates\":%lld},"
                "\"appointments\":{\"migrated\":%lld,\"skipped\":%lld}}\n",
                (long long)r.total, (long long)r.migrated, (long long)r.skipped, (long long)errors,
                (long long)r.events, secs, o->dry_run ? "true" : "false",
                verified ? "true" : "false", (long long)r.cust_migrated,
                (long long)r.cust_skipped, (long long)r.cust_duplicates,
                (long long)r.appt_migrated, (long long)r.appt_skipped);
    else
        fprintf(o->out, "total=%lld migrated=%lld skipped=%lld errors=%lld events=%lld seconds=%.2f\n",
                (long long)r.total, (long long)r.migrated, (long long)r.skipped, (long long)errors,
                (long long)r.events, secs);
    if (rc == 0 && errors == 0 && (o->dry_run || verified))
        status = 0;
    legacy_src_close(src);
    release_slots(&r);
    pthread_mutex_destroy(&r.lock);
    pthread_cond_destroy(&r.changed);
    free(r.customers.v);
    free(r.done_spans.v);
    free(r.seen_ids);
    arena_free(r.tmp);
    return status;
}
