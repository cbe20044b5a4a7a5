/*
 * sq_bulk.c - bulk loads in SQLite: secondary indexes are set aside while a large load writes,
 * then rebuilt by sorting.
 *
 * Layer: store/sqlite. Growing eleven indexes row by row costs about three times what writing
 * the rows does; CREATE INDEX over the finished table sorts once. What is set aside is recorded
 * in bulk_deferred (order, name, the CREATE statement) in the transaction that drops it, so the
 * database always says how to get back to its full schema: a killed load leaves rows there and
 * the next store_bulk_finish completes them. Each index is rebuilt in its own transaction and its
 * row deleted with it, so finishing is itself resumable. The subjects' search index is recorded
 * there too, as one more step (SUBJECTS_STEP), and the loading connection indexes the rest of
 * what it wrote for full-text search once, when it finishes (sq_search.c). Until then that
 * connection also checks no foreign keys and defers its kept counts to each commit
 * (sq_conversations.c).
 */
#include "store/sqlite/sq_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each table's in the order the migrations create them: they are recreated in this order, which
 * keeps each table's schema (and so the planner's choice between equally good indexes) as an
 * uninterrupted database has it. The indexes from a conversation to its messages and events
 * (`joins`) come back first, so reads that join them (a load's verification) can run while the
 * conversations' own indexes are rebuilt. A migration that adds a deferrable index puts it after
 * its table's others. */
static const struct {
    const char *name;
    bool joins;
} DEFERRABLE[] = {
    {"msg_conversation", true}, /* 001 */
    {"event_conversation", true},
    {"event_type_time", false},
    {"conv_activity", false}, /* 001 */
    {"conv_channel_activity", false},
    {"conv_status_activity", false},
    {"conv_channel_status_activity", false},
    {"conv_customer_activity", false},
    {"conv_initiated", false},
    {"conv_score", false},
    {"conv_active_thread", false}, /* 006 */
};
#define N_DEFERRABLE (sizeof DEFERRABLE / sizeof DEFERRABLE[0])

/* The subjects' search index, after the indexes: the loading connection queues no subject
 * (sq_conv_insert), so the index is rebuilt from every conversation, and the queue emptied, in
 * one transaction. A load is used only when the target holds fewer conversations than half the
 * load, so this costs at most half again what indexing the load's own subjects would; what the
 * queue held meanwhile (another process's writes) is in it too, with each subject as it is now. */
#define SUBJECTS_STEP "subject search index"
#define SUBJECTS_SEQ 1000 /* after every index, however many migrations add */
static const char SUBJECTS_SQL[] =
    "DELETE FROM subject_fts; "
    "INSERT INTO subject_fts(subject, conversation_id) SELECT subject, id FROM conversations "
    "WHERE subject IS NOT NULL AND subject <> ''; "
    "DELETE FROM subject_fts_queue";

/* Sets DEFERRABLE[i] aside when it exists: records it and drops it (in the caller's
 * transaction). An index already set aside by an interrupted load is simply absent. */
static int set_aside(struct sq_conn *c, size_t i, struct err *e)
{
    const char *name = DEFERRABLE[i].name;
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
    sqlite3_stmt *st = rc == 0 ? sq_prepare(c,
                                            "INSERT OR IGNORE INTO bulk_deferred(seq, name, sql) "
                                            "VALUES (?, ?, ?)",
                                            e)
                               : NULL;
    if (rc == 0 && !st)
        rc = e->code;
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, SUBJECTS_SEQ);
        sqlite3_bind_text(st, 2, SUBJECTS_STEP, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, SUBJECTS_SQL, -1, SQLITE_STATIC);
        rc = sq_exec_stmt(c, st, e, "bulk begin");
    }
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

static bool is_join(const char *name)
{
    for (size_t i = 0; i < N_DEFERRABLE; i++)
        if (strcmp(DEFERRABLE[i].name, name) == 0)
            return DEFERRABLE[i].joins;
    return false;
}

int sq_bulk_finish(struct store *s, store_bulk_step_fn step, void *ctx, struct err *e)
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
        int last_join = -1;
        for (int i = 0; i < n; i++)
            if (is_join(todo[i].name))
                last_join = i;
        for (int i = 0; out == 0 && i < n; i++) {
            if (step)
                step(ctx, todo[i].name, i + 1, n + 1, i > last_join);
            out = rebuild(s, c, todo[i].name, todo[i].sql, e);
        }
        if (out == 0) {
            if (step)
                step(ctx, "search index", n + 1, n + 1, true);
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
