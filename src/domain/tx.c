/*
 * tx.c - running units of work in write transactions: retried while the database is busy, and,
 * in the server, group-committed by one writer thread.
 *
 * Layer: domain. Every write the domain does goes through dom_tx(fn, ctx): fn runs inside a
 * transaction and must be safe to run again.
 *
 * Direct mode (the CLI): dom_tx begins a write transaction on the calling thread, runs fn,
 * commits; SQLITE_BUSY or a serialization failure (ERR_AGAIN) rolls back and retries with a
 * growing, jittered pause.
 *
 * Group commit (the server, after dom_group_commit_start): callers queue their unit of work and
 * wait; one writer thread takes everything queued, runs it in one transaction (when a unit
 * fails, again with a savepoint around each unit, so the failing one is undone alone and reports
 * its own error), commits once, and wakes the callers. Writers in one process then never wait on each other's locks or sleep
 * in the busy handler, and a commit is paid once per batch instead of once per request; each
 * caller still returns only after its work is committed.
 */
#include "domain/domain.h"

#include "core/ids.h"
#include "core/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ATTEMPTS 20
#define MAX_BATCH 256

struct job {
    int (*fn)(struct store *s, void *ctx, struct err *e);
    void *ctx;
    struct err *e;
    int rc;
    bool done;
    /* asynchronous units: called on the writer thread after the commit, then the job is freed */
    void (*on_done)(void *done_ctx, int rc);
    void *done_ctx;
    struct job *next;
};

struct committer {
    struct store *s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work, finished;
    struct job *head, *tail;
    bool stop;
};

static struct committer *group;
static _Thread_local bool on_writer;

static void backoff(long *pause_us)
{
    unsigned char r = 0;
    random_bytes(&r, 1);
    long us = *pause_us + (*pause_us * r) / 512;
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
    if (*pause_us < 500000)
        *pause_us *= 2;
}

static int direct(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e),
                  void *ctx, struct err *e)
{
    int rc = 0;
    long pause_us = 2000;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        rc = store_begin(s, true, e);
        if (rc == 0) {
            rc = fn(s, ctx, e);
            if (rc == 0)
                rc = store_commit(s, e);
            else
                store_rollback(s);
        }
        if (rc != ERR_AGAIN)
            return rc;
        backoff(&pause_us);
        log_debug("domain", "database busy, retrying (attempt %d)", attempt + 2);
    }
    return rc;
}

/* A unit failed in a batch run without savepoints: run the batch again with them. */
#define UNIT_FAILED 1

/* Runs one batch in one transaction. With savepoints, a unit's failure is undone at its own
 * savepoint and reported to it alone; without, the first failure rolls the whole batch back and
 * returns UNIT_FAILED. Units nearly never fail, and a savepoint per unit costs a few percent of
 * the writer, so the writer tries without first (units are safe to run again). Returns the
 * transaction's own result (0, or the error of BEGIN/COMMIT) or UNIT_FAILED. */
static int run_batch(struct store *s, struct job *jobs, bool savepoints)
{
    struct err e;
    err_clear(&e);
    int rc = store_begin(s, true, &e);
    if (rc < 0)
        return rc;
    for (struct job *j = jobs; j; j = j->next) {
        err_clear(j->e);
        if (!savepoints) {
            if ((j->rc = j->fn(s, j->ctx, j->e)) < 0) {
                store_rollback(s);
                return UNIT_FAILED;
            }
            continue;
        }
        j->rc = store_begin(s, true, j->e);
        if (j->rc < 0)
            continue;
        j->rc = j->fn(s, j->ctx, j->e);
        if (j->rc == 0)
            j->rc = store_commit(s, j->e);
        else
            store_rollback(s);
    }
    rc = store_commit(s, &e);
    if (rc < 0)
        for (struct job *j = jobs; j; j = j->next)
            err_set(j->e, rc, NULL, "commit failed: %s", e.msg);
    return rc;
}

/* The writer's search indexing (store_search_flush); whether rows still wait for it. */
static bool search_flush(struct store *s, enum search_flush how)
{
    struct err e;
    err_clear(&e);
    int rc = store_search_flush(s, how, &e);
    if (rc < 0)
        log_warn("domain", "search indexing failed (retried later): %s", e.msg);
    return rc != 0;
}

static void *writer_main(void *arg)
{
    struct committer *c = arg;
    on_writer = true;
    pthread_setname_np(pthread_self(), "sb-writer");
    struct err we;
    if (store_writer_mode(c->s, &we) < 0) /* checkpoints move to a background thread */
        log_warn("domain", "writer mode unavailable: %s", we.msg);
    bool unindexed = false; /* committed rows wait for the search index (store_writer_mode) */
    for (;;) {
        pthread_mutex_lock(&c->lock);
        while (!c->head && !c->stop) {
            if (!unindexed) {
                pthread_cond_wait(&c->work, &c->lock);
                continue;
            }
            /* idle with rows unindexed: index them once the lag has passed */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)STORE_SEARCH_LAG_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&c->work, &c->lock, &until);
            if (c->head || c->stop)
                break;
            pthread_mutex_unlock(&c->lock);
            unindexed = search_flush(c->s, SEARCH_IF_DUE);
            pthread_mutex_lock(&c->lock);
        }
        if (!c->head && c->stop) {
            pthread_mutex_unlock(&c->lock);
            search_flush(c->s, SEARCH_NOW); /* a clean stop leaves everything searchable */
            break;
        }
        struct job *batch = c->head, *last = batch;
        int n = 1;
        while (last->next && n < MAX_BATCH) {
            last = last->next;
            n++;
        }
        c->head = last->next;
        if (!c->head)
            c->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&c->lock);

        int rc = 0;
        long pause_us = 2000;
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            rc = run_batch(c->s, batch, batch->next == NULL);
            if (rc == UNIT_FAILED)
                rc = run_batch(c->s, batch, true);
            if (rc != ERR_AGAIN) /* another process holds the lock: run the batch again */
                break;
            backoff(&pause_us);
        }
        unindexed = search_flush(c->s, SEARCH_IF_DUE); /* (usually just asks: its commit
                                                           indexed when due) */
        struct job *async = NULL;
        pthread_mutex_lock(&c->lock);
        for (struct job *j = batch, *next; j; j = next) {
            next = j->next;
            if (rc < 0)
                j->rc = rc;
            if (j->on_done) { /* set aside: its caller is not waiting on the condition */
                j->next = async;
                async = j;
            } else {
                j->done = true; /* the waiting caller owns j from here */
            }
        }
        pthread_cond_broadcast(&c->finished);
        pthread_mutex_unlock(&c->lock);
        while (async) {
            struct job *next = async->next;
            async->on_done(async->done_ctx, async->rc);
            free(async);
            async = next;
        }
    }
    return NULL;
}

int dom_group_commit_start(struct store *s)
{
    struct committer *c = calloc(1, sizeof *c);
    if (!c)
        return ERR_NOMEM;
    c->s = s;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->finished, NULL);
    if (pthread_create(&c->thread, NULL, writer_main, c) != 0) {
        free(c);
        return ERR_NOMEM;
    }
    group = c;
    return 0;
}

void dom_group_commit_stop(void)
{
    struct committer *c = group;
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    group = NULL;
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->finished);
    free(c);
}

/* A unit of work inside the writer's batch: a savepoint of its own. */
static int nested(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e),
                  void *ctx, struct err *e)
{
    int rc = store_begin(s, true, e);
    if (rc < 0)
        return rc;
    rc = fn(s, ctx, e);
    if (rc == 0)
        return store_commit(s, e);
    store_rollback(s);
    return rc;
}

int dom_tx_async(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e),
                 void *ctx, struct err *e, void (*on_done)(void *done_ctx, int rc),
                 void *done_ctx)
{
    struct committer *c = group;
    if (!c || c->s != s || on_writer) { /* no writer thread: run it here and report at once */
        int rc = dom_tx(s, fn, ctx, e);
        on_done(done_ctx, rc);
        return 0;
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return err_set(e, ERR_NOMEM, NULL, "out of memory queueing a write");
    j->fn = fn;
    j->ctx = ctx;
    j->e = e;
    j->on_done = on_done;
    j->done_ctx = done_ctx;
    pthread_mutex_lock(&c->lock);
    if (c->tail)
        c->tail->next = j;
    else
        c->head = j;
    c->tail = j;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

int dom_tx(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e), void *ctx,
           struct err *e)
{
    struct committer *c = group;
    if (on_writer)
        return nested(s, fn, ctx, e);
    if (!c || c->s != s) /* the CLI: run here */
        return direct(s, fn, ctx, e);
    struct err local;
    struct job j = {.fn = fn, .ctx = ctx, .e = e ? e : &local};
    pthread_mutex_lock(&c->lock);
    if (c->tail)
        c->tail->next = &j;
    else
        c->head = &j;
    c->tail = &j;
    pthread_cond_signal(&c->work);
    while (!j.done)
        pthread_cond_wait(&c->finished, &c->lock);
    pthread_mutex_unlock(&c->lock);
    return j.rc;
}

static int search_now(struct store *s, void *ctx, struct err *e)
{
    (void)ctx;
    int rc = store_search_flush(s, SEARCH_NOW, e);
    return rc < 0 ? rc : 0;
}

int dom_search_sync(struct store *s, struct err *e)
{
    bool current = false;
    int rc = store_search_current(s, &current, e);
    if (rc < 0 || current)
        return rc;
    rc = dom_tx(s, search_now, NULL, e);
    return rc < 0 ? rc : 1;
}
