/*
 * sq_int.h - private helpers shared by the SQLite backend's files.
 *
 * Layer: store/sqlite. One struct sq_conn per thread per store (found with a pthread key and
 * closed when the thread exits or the store closes). Each connection caches its prepared
 * statements by SQL text, so static and dynamically built queries alike are prepared once.
 */
#ifndef SB_SQ_INT_H
#define SB_SQ_INT_H

#include "store/store_int.h"

#include <pthread.h>
#include <sqlite3.h>

#define SQ_CACHE 128

struct sq_cached {
    char *sql;
    size_t len;
    sqlite3_stmt *stmt;
};

#define SQ_COUNT_LEVELS 8 /* transaction levels that defer kept counts (deeper ones update) */

struct sq_conn {
    sqlite3 *db;
    struct sq_store *owner;
    struct sq_conn *next; /* in the owner's list */
    int tx_depth;
    bool search_dirty;    /* wrote messages, customers or subjects that the full-text
                           * indexes lack */
    bool search_deferred; /* a bulk load: index them in store_bulk_finish, not at each commit */
    bool search_pending;  /* committed rows wait for the index (writer mode's lag) */
    bool search_force;    /* index at this transaction's commit, lag or not */
    int64_t search_lag_us;     /* writer mode: index at most this often (0: every commit) */
    int64_t search_indexed_at; /* monotonic time of the last indexing */
    /* Conversations inserted per (channel, status) that conversation_counts does not count yet,
     * per open transaction level (sq_conversations.c): added at the outermost commit, one
     * UPDATE per pair instead of one per insert; merged into the enclosing level when a
     * savepoint is released, dropped with a rollback. */
    int32_t count_delta[SQ_COUNT_LEVELS][3][3];
    bool counts_dirty;
    struct sq_cached cache[SQ_CACHE];
};

struct sq_store {
    struct store base;
    char *path;
    pthread_key_t key;
    pthread_mutex_t lock; /* guards conns */
    struct sq_conn *conns;
    /* the checkpointer thread (writer mode): copies the WAL into the database off the writer */
    pthread_t ckpt;
    pthread_cond_t ckpt_wake;
    bool ckpt_running, ckpt_stop;
    bool ckpt_chase; /* writer mode: checkpoint back to back near the WAL's restart bound */
};

/* The kept conversation counts at transaction boundaries (sq_conversations.c): added to the
 * table before the outermost COMMIT; a released savepoint's merged into its parent's; a rolled
 * back level's dropped. `level` is the transaction depth after the commit or rollback. */
int sq_counts_at_commit(struct sq_conn *c, struct err *e);
void sq_counts_release(struct sq_conn *c, int level);
void sq_counts_drop(struct sq_conn *c, int level);

/* The calling thread's connection, opened on first use; NULL with e set on failure. */
struct sq_conn *sq_conn_get(struct store *s, struct err *e);

/* A cached, reset statement for sql, or NULL with e set. The statement stays owned by the cache;
 * callers reset it with sq_done() when finished. */
sqlite3_stmt *sq_prepare(struct sq_conn *c, const char *sql, struct err *e);
void sq_done(sqlite3_stmt *st);

/* Translates a SQLite result code into an err code (keeping SQLite's message). */
int sq_fail(struct sq_conn *c, int rc, struct err *e, const char *what);

/* Steps a statement that returns no rows (retrying SQLITE_BUSY); 0 or an err code. */
int sq_exec_stmt(struct sq_conn *c, sqlite3_stmt *st, struct err *e, const char *what);

/* Runs a query without parameters whose first row's first column is an integer (a count). */
int sq_count(struct sq_conn *c, const char *sql, int64_t *out, struct err *e);

/* Runs SQL text with no parameters (schema, pragmas, BEGIN/COMMIT). */
int sq_exec(struct sq_conn *c, const char *sql, struct err *e);

/* Binding helpers: NULL / 0 bind SQL NULL. */
void sq_bind_text(sqlite3_stmt *st, int i, const char *v);
void sq_bind_ts(sqlite3_stmt *st, int i, int64_t v);

/* Column helpers copying into the arena; NULL for SQL NULL. */
const char *sq_col_text(sqlite3_stmt *st, int i, struct arena *a);
/* Enumerations are interned (no copy) when known. */
const char *sq_col_enum(sqlite3_stmt *st, int i, struct arena *a);
int64_t sq_col_ts(sqlite3_stmt *st, int i);

/* The SELECT list and FROM clause that sq_read_conv() expects. */
#define SQ_CONV_COLS                                                                           \
    "c.id, c.customer_id, cu.name, cu.phone, cu.email, c.channel, c.status, c.initiated_at, "  \
    "c.last_activity_at, c.completed_at, c.satisfaction_score, c.sentiment, c.outcome, "       \
    "c.subject, c.ai_summary, c.metadata, c.score_explanation, c.message_count, "              \
    "c.last_message_preview"
#define SQ_CONV_FROM " FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id"
#define SQ_CONV_NCOLS 19

/* Reads a row of SQ_CONV_COLS starting at column `first`. */
void sq_read_conv(sqlite3_stmt *st, int first, struct arena *a, struct conversation *c);

/* Statement groups implemented in their own files. */
extern const struct store_ops sq_ops;
int sq_migrate(struct store *s, int *from, int *to, struct err *e);
/* Full-text indexing at commit (sq_search.c). sq_search_wrote() marks that this connection
 * wrote messages or customers (outside a transaction it indexes them at once); the outermost
 * commit calls sq_search_catch_up(). An import that chooses its own customer id indexes it with
 * sq_search_index_customer() when the id is below the mark. */
void sq_search_wrote(struct sq_conn *c);
int sq_search_catch_up(struct sq_conn *c, struct err *e);
int sq_search_at_commit(struct sq_conn *c, struct err *e);
int sq_search_flush(struct store *s, enum search_flush how, struct err *e);
int sq_search_current(struct store *s, bool *current, struct err *e);
int sq_search_index_customer(struct sq_conn *c, int64_t id, const char *name, struct err *e);

int sq_bulk_begin(struct store *s, struct err *e);
int sq_bulk_pending(struct store *s, int *objects, struct err *e);
int sq_bulk_finish(struct store *s, store_bulk_step_fn step,
                   void *ctx, struct err *e);
int sq_schema_version(struct store *s, int *current, int *latest, struct err *e);

#endif
