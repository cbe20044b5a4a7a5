/*
 * verify.c - `legacy-verify`: the whole legacy source against the target, session by session.
 *
 * Layer: legacy. Sessions are re-read and re-mapped (the same mapping the migrator used), in
 * chunks of consecutive ids; for each chunk the migrated conversations with those legacy ids are
 * read back and compared: missing or extra conversations, customer, score, duration, outcome,
 * status, event count, and a digest of every mapped field. Customers and appointments are
 * checked by id. Every mismatch is printed; the exit status is 1 when there is any.
 */
#include "legacy/legacy.h"

#include "core/timeutil.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 4096
#define MAX_PRINTED 1000

struct expect {
    int64_t legacy_id;
    char session_id[64];
    int64_t customer_id;
    int score;
    double duration;
    const char *outcome, *status; /* static strings */
    int n_events;
    uint64_t digest;
    bool seen;
    /* the legacy values themselves, for calls that were dual-written from this side */
    bool has_score;
    double raw_score;
    int64_t raw_duration, raw_customer;
    char raw_outcome[32];
};

#define N_SLOTS 3

/* The sessions phase runs on two threads: a reader streams and maps the source into slots of
 * expectations; the calling thread scans the target for each full slot and compares. */
struct vrun {
    struct store *s;
    const struct legacy_opts *o;
    struct err e;
    int64_t *customers;
    size_t n_customers, cap_customers;
    struct legacy_src *src;
    pthread_mutex_t lock; /* guards the slot queues, the flags and mismatch output */
    pthread_cond_t changed;
    struct expect *slots[N_SLOTS];
    int slot_n[N_SLOTS];
    int ready[N_SLOTS], n_ready, free_slots[N_SLOTS], n_free;
    int filling; /* the reader's slot, -1 = none */
    bool reader_done, abort_run;
    int reader_rc;
    struct err reader_err;
    struct arena *a;                    /* reader */
    int64_t sessions, src_events;       /* reader */
    uint64_t src_sum;                   /* reader */
    struct expect *chunk;               /* the slot being compared (calling thread) */
    int n_chunk;
    int64_t last_id; /* highest legacy id already compared */
    int64_t compared, dst_events, src_events_dual;
    uint64_t dst_sum, src_sum_dual; /* dual-written calls are left out of the checksum */
    int64_t t_sessions, t_messages, t_details, t_events; /* everything the target scan saw */
    int64_t mismatches, printed;
};

static void mismatch(struct vrun *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mismatch(struct vrun *v, const char *fmt, ...)
{
    pthread_mutex_lock(&v->lock);
    v->mismatches++;
    if (v->printed++ >= MAX_PRINTED) {
        if (v->printed == MAX_PRINTED + 1)
            fprintf(v->o->out, "mismatch: ... (further mismatches counted, not printed)\n");
        pthread_mutex_unlock(&v->lock);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fputs("mismatch: ", v->o->out);
    vfprintf(v->o->out, fmt, ap);
    fputc('\n', v->o->out);
    va_end(ap);
    pthread_mutex_unlock(&v->lock);
}

static bool known_customer(const struct vrun *v, int64_t id)
{
    size_t lo = 0, hi = v->n_customers;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->customers[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n_customers && v->customers[lo] == id;
}

static int on_customer(void *ctx, const struct legacy_customer *c)
{
    struct vrun *v = ctx;
    bool exists = false;
    if (store_customer_exists(v->s, c->id, &exists, &v->e) < 0)
        return v->e.code;
    if (!exists) {
        mismatch(v, "customer %lld '%s' is missing from the target", (long long)c->id,
                 c->name ? c->name : "");
        return 0;
    }
    if (v->n_customers == v->cap_customers) {
        size_t nc = v->cap_customers ? v->cap_customers * 2 : 4096;
        int64_t *bigger = realloc(v->customers, nc * sizeof *bigger);
        if (!bigger)
            return ERR_NOMEM;
        v->customers = bigger;
        v->cap_customers = nc;
    }
    v->customers[v->n_customers++] = c->id;
    return 0;
}

static int on_appointment(void *ctx, const struct legacy_appointment *ap)
{
    struct vrun *v = ctx;
    bool exists = false;
    if (store_appointment_exists(v->s, ap->id, &exists, &v->e) < 0)
        return v->e.code;
    if (!exists)
        mismatch(v, "appointment %lld is missing from the target", (long long)ap->id);
    return 0;
}

static struct expect *find(struct vrun *v, int64_t id)
{
    int lo = 0, hi = v->n_chunk;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (v->chunk[mid].legacy_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n_chunk && v->chunk[lo].legacy_id == id ? &v->chunk[lo] : NULL;
}

static int on_target(void *ctx, const struct legacy_target_row *t)
{
    struct vrun *v = ctx;
    /* the target's totals come from this same pass (no separate counting queries) */
    v->t_sessions++;
    v->t_messages += t->n_messages;
    v->t_details += t->duration_seconds >= 0 || t->transcript_segments;
    v->t_events += t->n_events;
    struct expect *x = find(v, t->legacy_id);
    if (!x) {
        mismatch(v, "conversation %s claims legacy session %lld, which the source does not have",
                 t->conversation_id, (long long)t->legacy_id);
        return 0;
    }
    x->seen = true;
    v->compared++;
    if (t->customer_missing)
        mismatch(v, "session %s: customer %lld does not exist in the target", x->session_id,
                 (long long)t->customer_id);
    if (t->dual_write) { /* written from this side: compare in the legacy vocabulary */
        v->src_sum_dual += x->digest;
        v->src_events_dual += x->n_events;
        const char *sid = x->session_id;
        const char *word = legacy_outcome_word(t->outcome);
        int score = x->has_score ? (int)floor(x->raw_score + 0.5) : 0;
        if (t->customer_id != x->raw_customer)
            mismatch(v, "session %s (dual write): customer %lld, legacy %lld", sid,
                     (long long)t->customer_id, (long long)x->raw_customer);
        if (t->satisfaction_score != score)
            mismatch(v, "session %s (dual write): score %d, legacy %.2f", sid,
                     t->satisfaction_score, x->raw_score);
        if (x->raw_duration >= 0 && fabs(t->duration_seconds - (double)x->raw_duration) > 1)
            mismatch(v, "session %s (dual write): duration %.1f, legacy %lld", sid,
                     t->duration_seconds, (long long)x->raw_duration);
        if (!word || strcmp(word, x->raw_outcome) != 0)
            mismatch(v, "session %s (dual write): outcome %s, legacy %s", sid,
                     t->outcome ? t->outcome : "null", x->raw_outcome);
        if (t->n_events != x->n_events)
            mismatch(v, "session %s (dual write): %lld events, legacy %d", sid,
                     (long long)t->n_events, x->n_events);
        return 0;
    }
    uint64_t d = legacy_digest_stored(t);
    v->dst_sum += d;
    v->dst_events += t->n_events;
    if (d == x->digest)
        return 0;
    const char *sid = x->session_id;
    if (t->customer_id != x->customer_id)
        mismatch(v, "session %s: customer %lld, expected %lld", sid, (long long)t->customer_id,
                 (long long)x->customer_id);
    if (t->satisfaction_score != x->score)
        mismatch(v, "session %s: score %d, expected %d", sid, t->satisfaction_score, x->score);
    if (fabs(t->duration_seconds - x->duration) > 0.0005)
        mismatch(v, "session %s: duration %.3f, expected %.3f", sid, t->duration_seconds,
                 x->duration);
    if (!t->outcome || strcmp(t->outcome, x->outcome) != 0)
        mismatch(v, "session %s: outcome %s, expected %s", sid, t->outcome ? t->outcome : "null",
                 x->outcome);
    if (!t->status || strcmp(t->status, x->status) != 0)
        mismatch(v, "session %s: status %s, expected %s", sid, t->status ? t->status : "null",
                 x->status);
    if (t->n_events != x->n_events)
        mismatch(v, "session %s: %lld events, expected %d", sid, (long long)t->n_events,
                 x->n_events);
    mismatch(v, "session %s: the stored fields differ from the mapping (digest)", sid);
    return 0;
}

static int compare_chunk(struct vrun *v)
{
    if (v->n_chunk == 0)
        return 0;
    int64_t hi = v->chunk[v->n_chunk - 1].legacy_id;
    int rc = store_legacy_scan(v->s, v->last_id, hi, on_target, v, &v->e);
    if (rc < 0)
        return rc;
    for (int i = 0; i < v->n_chunk; i++)
        if (!v->chunk[i].seen)
            mismatch(v, "session %s (id %lld) was not migrated", v->chunk[i].session_id,
                     (long long)v->chunk[i].legacy_id);
    v->last_id = hi;
    v->n_chunk = 0;
    return 0;
}

/* Reader side: queues the filling slot for comparison and takes a free one (blocking). */
static int hand_over(struct vrun *v)
{
    pthread_mutex_lock(&v->lock);
    if (v->filling >= 0 && v->slot_n[v->filling] > 0) {
        v->ready[v->n_ready++] = v->filling;
        v->filling = -1;
        pthread_cond_broadcast(&v->changed);
    }
    while (v->filling < 0 && !v->abort_run) {
        if (v->n_free > 0) {
            v->filling = v->free_slots[--v->n_free];
            v->slot_n[v->filling] = 0;
        } else {
            pthread_cond_wait(&v->changed, &v->lock);
        }
    }
    int rc = v->abort_run ? ERR_IO : 0;
    pthread_mutex_unlock(&v->lock);
    return rc;
}

static int on_session(void *ctx, const struct legacy_session *s)
{
    struct vrun *v = ctx;
    if (v->filling < 0 && hand_over(v) < 0)
        return ERR_IO;
    v->sessions++;
    arena_reset(v->a);
    struct legacy_mapped m;
    bool known = !s->customer_id || known_customer(v, s->customer_id);
    if (legacy_map_for_digest(s, known, v->a, &m, &v->reader_err) < 0) {
        if (v->reader_err.code == ERR_NOMEM)
            return ERR_NOMEM;
        mismatch(v, "session %s (id %lld) cannot be mapped: %s", s->session_id,
                 (long long)s->id, v->reader_err.msg);
        err_clear(&v->reader_err);
        return 0;
    }
    struct expect *x = &v->slots[v->filling][v->slot_n[v->filling]++];
    memset(x, 0, sizeof *x);
    x->legacy_id = s->id;
    snprintf(x->session_id, sizeof x->session_id, "%s", s->session_id ? s->session_id : "");
    x->customer_id = m.conv.customer_id;
    x->score = m.conv.satisfaction_score;
    x->duration = m.voice.duration_seconds;
    x->outcome = m.conv.outcome;
    x->status = m.conv.status;
    x->n_events = m.n_events;
    x->digest = m.digest;
    x->has_score = s->has_score;
    x->raw_score = s->satisfaction_score;
    x->raw_duration = s->duration_seconds;
    x->raw_customer = s->customer_id;
    snprintf(x->raw_outcome, sizeof x->raw_outcome, "%s", s->outcome ? s->outcome : "");
    v->src_sum += m.digest;
    v->src_events += m.n_events;
    return v->slot_n[v->filling] == CHUNK ? hand_over(v) : 0;
}

static void *reader_main(void *arg)
{
    struct vrun *v = arg;
    pthread_setname_np(pthread_self(), "sb-reader");
    struct legacy_session_filter f = {0};
    int rc = legacy_src_sessions(v->src, &f, on_session, v, &v->reader_err);
    pthread_mutex_lock(&v->lock);
    if (v->filling >= 0 && v->slot_n[v->filling] > 0)
        v->ready[v->n_ready++] = v->filling;
    v->filling = -1;
    v->reader_rc = rc;
    v->reader_done = true;
    pthread_cond_broadcast(&v->changed);
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

/* Compares slots as the reader fills them, until it is done. */
static int sessions_phase(struct vrun *v)
{
    for (int i = 0; i < N_SLOTS; i++) {
        v->slots[i] = calloc(CHUNK, sizeof *v->slots[i]);
        if (!v->slots[i])
            return err_set(&v->e, ERR_NOMEM, NULL, "out of memory");
        v->free_slots[v->n_free++] = i;
    }
    v->filling = -1;
    pthread_t reader;
    if (pthread_create(&reader, NULL, reader_main, v) != 0)
        return err_set(&v->e, ERR_NOMEM, NULL, "cannot start the reader thread");
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&v->lock);
        while (v->n_ready == 0 && !v->reader_done)
            pthread_cond_wait(&v->changed, &v->lock);
        if (v->n_ready == 0) {
            pthread_mutex_unlock(&v->lock);
            break;
        }
        int idx = v->ready[0];
        memmove(v->ready, v->ready + 1, sizeof v->ready[0] * (size_t)--v->n_ready);
        pthread_mutex_unlock(&v->lock);
        v->chunk = v->slots[idx];
        v->n_chunk = v->slot_n[idx];
        rc = compare_chunk(v);
        pthread_mutex_lock(&v->lock);
        v->free_slots[v->n_free++] = idx;
        if (rc < 0)
            v->abort_run = true;
        pthread_cond_broadcast(&v->changed);
        pthread_mutex_unlock(&v->lock);
        if (rc < 0)
            break;
    }
    pthread_join(reader, NULL);
    if (rc == 0 && v->reader_rc < 0) {
        rc = v->reader_rc;
        v->e = v->reader_err;
    }
    return rc;
}

int legacy_verify(struct store *s, const struct legacy_opts *o)
{
    struct vrun v = {.s = s, .o = o};
    err_clear(&v.e);
    struct legacy_src *src = legacy_src_open(o->from, &v.e);
    if (!src) {
        fprintf(o->log, "legacy-verify: %s\n", v.e.msg);
        return 2;
    }
    int64_t t0 = time_mono_us();
    v.src = src;
    pthread_mutex_init(&v.lock, NULL);
    pthread_cond_init(&v.changed, NULL);
    v.a = arena_new(1 << 20, (size_t)1 << 30);
    struct legacy_counts sc;
    int64_t tc = 0, ta = 0;
    int rc = v.a ? 0 : ERR_NOMEM;
    if (rc == 0)
        rc = store_scan_mode(s, &v.e); /* a long read: keep memory bounded */
    if (rc == 0)
        rc = legacy_src_counts(src, &sc, &v.e);
    if (rc == 0)
        rc = legacy_src_customers(src, on_customer, &v, &v.e);
    if (rc == 0)
        fprintf(o->log, "legacy-verify: %lld customers checked (%.1fs)\n", (long long)sc.customers,
                (double)(time_mono_us() - t0) / 1e6);
    if (rc == 0)
        rc = legacy_src_appointments(src, on_appointment, &v, &v.e);
    if (rc == 0)
        fprintf(o->log, "legacy-verify: %lld appointments checked (%.1fs)\n",
                (long long)sc.appointments, (double)(time_mono_us() - t0) / 1e6);
    if (rc == 0)
        rc = sessions_phase(&v);
    if (rc == 0)
        fprintf(o->log, "legacy-verify: %lld sessions compared (%.1fs)\n", (long long)v.sessions,
                (double)(time_mono_us() - t0) / 1e6);
    if (rc == 0) /* conversations beyond the last source id */
        rc = store_legacy_scan(s, v.last_id, INT64_MAX, on_target, &v, &v.e);
    if (rc == 0)
        rc = store_count_customers(s, &tc, &ta, &v.e);
    int64_t tsess = v.t_sessions, tmsg = v.t_messages, tdet = v.t_details, tev = v.t_events;
    int status = 1;
    if (rc < 0) {
        fprintf(o->log, "legacy-verify: %s\n", v.e.msg[0] ? v.e.msg : err_name(rc));
    } else {
        if (tsess != sc.sessions)
            mismatch(&v, "%lld migrated sessions in the target, %lld in the source",
                     (long long)tsess, (long long)sc.sessions);
        if (tev != sc.events)
            mismatch(&v, "%lld events of migrated conversations, %lld in the source",
                     (long long)tev, (long long)sc.events);
        if (tmsg != tsess || tdet != tsess)
            mismatch(&v, "%lld messages and %lld voice details for %lld migrated sessions",
                     (long long)tmsg, (long long)tdet, (long long)tsess);
        v.src_sum -= v.src_sum_dual;
        if (v.src_sum != v.dst_sum)
            mismatch(&v, "checksum of mapped fields: source %016llx, target %016llx",
                     (unsigned long long)v.src_sum, (unsigned long long)v.dst_sum);
        fprintf(o->out,
                "legacy-verify: customers %lld/%lld, appointments %lld/%lld, sessions %lld/%lld, "
                "events %lld/%lld, checksum %016llx/%016llx, %lld mismatches, %.1fs\n",
                (long long)sc.customers, (long long)tc, (long long)sc.appointments, (long long)ta,
                (long long)sc.sessions, (long long)tsess, (long long)sc.events, (long long)tev,
                (unsigned long long)v.src_sum, (unsigned long long)v.dst_sum,
                (long long)v.mismatches, (double)(time_mono_us() - t0) / 1e6);
        status = v.mismatches ? 1 : 0;
    }
    legacy_src_close(src);
    for (int i = 0; i < N_SLOTS; i++)
        free(v.slots[i]);
    pthread_mutex_destroy(&v.lock);
    pthread_cond_destroy(&v.changed);
    free(v.customers);
    arena_free(v.a);
    return status;
}
