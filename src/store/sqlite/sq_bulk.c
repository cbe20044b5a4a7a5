/*
 * sq_bulk.c - bulk loads in SQLite: secondary indexes are set aside while a large load writes,
 * then rebuilt by sorting.
 *
 * Layer: store/sqlite. Growing eleven indexes row by row costs about three times what writing
 * the rows does; CREATE INDEX over the finished table sorts once. What is set aside is recorded
 * in bulk_deferred (order, name, the CREATE statement) in the transaction that drops it, so the
 * database always says how to get back to its full schema: a killed load leaves rows there and
 * the next store_bulk_finish completes them. Each index is rebuilt in its own transaction and its
 * row deleted with it, so finishing is itself resumable. The loading connection also indexes
 * what it wrote for full-text search once, when it finishes (sq_search.c).
 */
#include "store/sqlite/sq_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In the order the migrations create them: they are recreated in this order, which keeps the
 * schema (and so the planner's choice between equally good indexes) as an uninterrupted database
 * has it. A migration that adds a deferrable object appends it here. */
static const char *const DEFERRABLE[] = {
    "conv_activity", /* 001 */
    "conv_channel_activity",
    "conv_status_activity",
    "conv_channel_status_activity",
    "conv_customer_activity",
    "conv_initiated",
    "conv_score",
    "msg_conversation",
    "event_conversation",
    "event_type_time",
    "conv_active_thread", /* 006 */
};
#define N_DEFERRABLE (sizeof DEFERRABLE / sizeof DEFERRABLE[0])

/* Sets DEFERRABLE[i] aside when it exists: records it and drops it (in the caller's
 * transaction). An index already set aside by an interrupted load is simply absent. */
static int set_aside(struct sq_conn *c, size_t i, struct err *e)
{
    const char *name = DEFERRABLE[i];
    sqlite3_stmt *st =
        sq_prepare(c, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sq_done(st);
        return rc == SQLITE_DONE ? 0 : sq_fail(c, rc, e, "bulk begin");
    }
    char *sql = strdup((const char *)sqlite3_column_text(st, 0));
    sq_done(st);
    if (!sql)
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    st = sq_prepare(c, "INSERT INTO bulk_deferred(seq, name, sql) VALUES (?, ?, ?)", e);
    rc = st ? 0 : e->code;
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, (int64_t)i + 1);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, sql, -1, SQLITE_STATIC);
        rc = sq_exec_stmt(c, st, e, "bulk begin");
    }
    free(sql);
    if (rc == 0) {
        char drop[96];
        snprintf(drop, sizeof drop, "DROP INDEX \"%s\"", name);
        rc = sq_exec(c, drop, e);
    }
    return rc;
}

int sq_bulk_begin(struct store *s, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    int rc = store_begin(s, true, e);
    for (size_t i = 0; rc == 0 && i < N_DEFERRABLE; i++)
        rc = set_aside(c, i, e);
    if (rc == 0 && (rc = store_commit(s, e)) == 0) {
        c->search_deferred = true; /* this connection indexes for search once, at the end */
        rc = sq_exec(c, "PRAGMA foreign_keys=OFF", e); /* the loader keeps them (store.h) */
    } else if (rc < 0) {
        store_rollback(s);
    }
    return rc;
}

int sq_bulk_pending(struct store *s, int *objects, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    int64_t n = 0;
    int rc = sq_count(c, "SELECT count(*) FROM sqlite_master WHERE name = 'bulk_deferred'", &n, e);
    if (rc == 0 && n) /* (before migration 7 there is no such table, and nothing pending) */
        rc = sq_count(c, "SELECT count(*) FROM bulk_deferred", &n, e);
    *objects = rc == 0 ? (int)n : 0;
    return rc;
}

/* Rebuilds one index and forgets it, in one transaction. */
static int rebuild(struct store *s, struct sq_conn *c, const char *name, const char *sql,
                   struct err *e)
{
    int rc = store_begin(s, true, e);
    if (rc < 0)
        return rc;
    rc = sq_exec(c, sql, e);
    sqlite3_stmt *st = rc == 0 ? sq_prepare(c, "DELETE FROM bulk_deferred WHERE name = ?", e)
                               : NULL;
    if (rc == 0 && !st)
        rc = e->code;
    if (rc == 0) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        rc = sq_exec_stmt(c, st, e, "bulk finish");
    }
    if (rc == 0)
        return store_commit(s, e);
    store_rollback(s);
    return rc;
}

struct pending {
    char *name, *sql;
};

int sq_bulk_finish(struct store *s, void (*step)(void *ctx, const char *what, int i, int n),
                   void *ctx, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    /* in the order they were created, so the schema reads as it did */
    sqlite3_stmt *st = sq_prepare(c,
                                  "SELECT name, sql FROM bulk_deferred ORDER BY seq",
                                  e);
    if (!st)
        return e->code;
    struct pending todo[32];
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 32) {
        todo[n].name = strdup((const char *)sqlite3_column_text(st, 0));
        todo[n].sql = strdup((const char *)sqlite3_column_text(st, 1));
        n++;
        if (!todo[n - 1].name || !todo[n - 1].sql) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sq_done(st);
    int out = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sq_fail(c, rc, e, "bulk finish");
    bool search = n > 0 || c->search_deferred; /* what the load wrote, into the search indexes
                                                  (also when another process loaded it) */
    if (out == 0 && search) {
        /* The sorter keeps runs of at most cache_size in memory per thread and spills the rest
         * to temporary files (not memory); a second sorter thread makes the large indexes
         * about a fifth faster on two cores. The smaller cache also bounds the search
         * indexing's one long transaction. */
        int64_t cache = 0;
        out = sq_count(c, "PRAGMA cache_size", &cache, e);
        if (out == 0)
            out = sq_exec(c, "PRAGMA temp_store=FILE; PRAGMA cache_size=-8192; PRAGMA threads=2",
                          e);
        for (int i = 0; out == 0 && i < n; i++) {
            if (step)
                step(ctx, todo[i].name, i + 1, n + 1);
            out = rebuild(s, c, todo[i].name, todo[i].sql, e);
        }
        if (out == 0) {
            if (step)
                step(ctx, "search index", n + 1, n + 1);
            c->search_deferred = false;
            c->search_force = true;
            if ((out = store_begin(s, true, e)) == 0)
                out = store_commit(s, e);
        }
        char pragma[96];
        snprintf(pragma, sizeof pragma,
                 "PRAGMA temp_store=MEMORY; PRAGMA cache_size=%lld; PRAGMA threads=0",
                 (long long)cache);
        struct err ignored;
        sq_exec(c, pragma, &ignored);
    }
    for (int i = 0; i < n; i++) {
        free(todo[i].name);
        free(todo[i].sql);
    }
    if (out == 0) /* the load is over: keys are checked again */
        out = sq_exec(c, "PRAGMA foreign_keys=ON", e);
    return out;
}
