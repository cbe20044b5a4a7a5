/*
 * sq_search.c - keeps the full-text indexes of messages, customer names and conversation
 * subjects up to date at commit.
 *
 * Layer: store/sqlite. New messages and customers are not indexed row by row from triggers:
 * FTS5 writes out its pending index data at every savepoint, and units of work run under
 * savepoints (nested dom_tx calls; the group committer when it re-runs a batch, and before
 * that for every unit), so a trigger made every message its own index segment plus the merge
 * work that follows (about 30 us of a 45 us message insert). Instead the connection notes that
 * it wrote such rows, and just before the outermost COMMIT it indexes every row above the
 * high-water mark in search_state and moves the mark: one index flush per transaction, in the
 * same transaction, so a committed message is searchable at once and a rolled-back one never
 * was. Rowids only grow (the delete triggers lower the mark when the row at it goes), and
 * imports that choose their own ids below the mark index themselves (sq_search_index_customer).
 * Conversations have no rowid: their triggers queue the ids whose subject is new
 * (subject_fts_queue), and the catch-up indexes and empties the queue.
 *
 * The server's writer connection (writer mode) indexes at most every STORE_SEARCH_LAG_MS, with
 * whichever commit comes due; sq_search_flush indexes the rest on demand (the writer when it
 * falls idle, and dom_search_sync before a search), and sq_search_current tells a reader whether
 * anything committed is still unindexed. A bulk load defers this on its connection to
 * store_bulk_finish; since the mark moves only when rows are indexed, whichever commit comes next
 * after a killed load indexes what it left.
 */
#include "store/sqlite/sq_int.h"

#include "core/timeutil.h"

void sq_search_wrote(struct sq_conn *c)
{
    c->search_dirty = true;
    if (c->tx_depth == 0 && !c->search_deferred) { /* autocommit: nothing will commit later */
        struct err ignored;
        sq_search_catch_up(c, &ignored);
    }
}

/* Indexes every row above the marks and empties the subject queue, in the caller's transaction
 * (or statement by statement outside one). */
int sq_search_catch_up(struct sq_conn *c, struct err *e)
{
    static const char *const SQL[] = {
        "INSERT INTO message_fts(rowid, content) SELECT rowid, content FROM "
        "communication_messages WHERE rowid > (SELECT indexed_upto FROM search_state WHERE name "
        "= 'message_fts') AND content IS NOT NULL AND content <> ''",
        "UPDATE search_state SET indexed_upto = (SELECT coalesce(max(rowid), 0) FROM "
        "communication_messages) WHERE name = 'message_fts'",
        "INSERT INTO customer_fts(rowid, name) SELECT id, name FROM customers WHERE id > (SELECT "
        "indexed_upto FROM search_state WHERE name = 'customer_fts')",
        "UPDATE search_state SET indexed_upto = (SELECT coalesce(max(id), 0) FROM customers) "
        "WHERE name = 'customer_fts'",
        "INSERT INTO subject_fts(subject, conversation_id) SELECT c.subject, c.id FROM "
        "subject_fts_queue q JOIN conversations c ON c.id = q.conversation_id WHERE c.subject <> "
        "''",
        "DELETE FROM subject_fts_queue",
    };
    c->search_dirty = false;
    for (size_t i = 0; i < sizeof SQL / sizeof SQL[0]; i++) {
        sqlite3_stmt *st = sq_prepare(c, SQL[i], e);
        if (!st)
            return e->code;
        int rc = sq_exec_stmt(c, st, e, "search index");
        if (rc < 0)
            return rc;
    }
    c->search_pending = false;
    c->search_force = false;
    c->search_indexed_at = time_mono_us();
    return 0;
}

/* Just before the outermost COMMIT: indexes what this transaction (and, in writer mode, earlier
 * ones) wrote, unless a bulk load defers it or writer mode's lag has not passed. */
int sq_search_at_commit(struct sq_conn *c, struct err *e)
{
    if (c->search_deferred)
        return 0;
    if (c->search_dirty) {
        c->search_dirty = false;
        c->search_pending = true;
    }
    if (!c->search_pending && !c->search_force)
        return 0;
    if (!c->search_force && c->search_lag_us > 0 &&
        time_mono_us() - c->search_indexed_at < c->search_lag_us)
        return 0;
    return sq_search_catch_up(c, e);
}

int sq_search_flush(struct store *s, enum search_flush how, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    if (how == SEARCH_NOW)
        c->search_force = true;
    if (c->tx_depth > 0) /* the outermost commit indexes */
        return c->search_pending || c->search_dirty || c->search_force;
    if (!c->search_pending && !c->search_force)
        return 0;
    if (how == SEARCH_IF_DUE && time_mono_us() - c->search_indexed_at < c->search_lag_us)
        return 1;
    c->search_force = true;
    int rc = store_begin(s, true, e);
    if (rc == 0 && (rc = store_commit(s, e)) == 0)
        return 0;
    return rc;
}

int sq_search_current(struct store *s, bool *current, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    int64_t behind = 0;
    int rc = sq_count(c,
                      "SELECT (SELECT indexed_upto FROM search_state WHERE name = 'message_fts') < "
                      "(SELECT coalesce(max(rowid), 0) FROM communication_messages) OR (SELECT "
                      "indexed_upto FROM search_state WHERE name = 'customer_fts') < (SELECT "
                      "coalesce(max(id), 0) FROM customers) OR EXISTS (SELECT 1 FROM "
                      "subject_fts_queue)",
                      &behind, e);
    *current = rc == 0 && !behind;
    return rc;
}

int sq_search_index_customer(struct sq_conn *c, int64_t id, const char *name, struct err *e)
{
    sqlite3_stmt *st = sq_prepare(c,
                                  "INSERT INTO customer_fts(rowid, name) SELECT ?1, ?2 WHERE ?1 "
                                  "<= (SELECT indexed_upto FROM search_state WHERE name = "
                                  "'customer_fts')",
                                  e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    return sq_exec_stmt(c, st, e, "search index");
}
