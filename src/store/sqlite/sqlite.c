/*
 * sqlite.c - the SQLite backend's connections, statement cache, transactions and helpers.
 *
 * Layer: store/sqlite. Connections: one per thread, opened lazily with WAL, a busy timeout,
 * foreign keys on, NORMAL sync (durable against a process crash: a commit has reached the WAL
 * file before it returns) and a memory map for reads. Statement cache: a small open-addressing
 * table per connection keyed by the SQL text; statements are prepared with
 * SQLITE_PREPARE_PERSISTENT and reset after each use (sq_done).
 */
#include "store/sqlite/sq_int.h"

#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 10000

static void conn_close(struct sq_conn *c)
{
    for (int i = 0; i < SQ_CACHE; i++) {
        if (c->cache[i].stmt)
            sqlite3_finalize(c->cache[i].stmt);
        free(c->cache[i].sql);
    }
    sqlite3_close_v2(c->db);
    free(c);
}

/* Thread exit: unlink and close this thread's connection. */
static void on_thread_exit(void *p)
{
    struct sq_conn *c = p;
    struct sq_store *ss = c->owner;
    pthread_mutex_lock(&ss->lock);
    for (struct sq_conn **pp = &ss->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&ss->lock);
    conn_close(c);
}

struct sq_conn *sq_conn_get(struct store *s, struct err *e)
{
    struct sq_store *ss = (struct sq_store *)s;
    struct sq_conn *c = pthread_getspecific(ss->key);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c) {
        err_set(e, ERR_NOMEM, NULL, "out of memory opening a database connection");
        return NULL;
    }
    int rc = sqlite3_open_v2(ss->path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        err_set(e, ERR_BACKEND, "db", "cannot open database '%s': %s", ss->path,
                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close_v2(c->db);
        free(c);
        return NULL;
    }
    c->owner = ss;
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->db, 1);
    static const char *const PRAGMAS =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768; PRAGMA mmap_size=2147418112;";
    char *msg = NULL;
    rc = sqlite3_exec(c->db, PRAGMAS, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        err_set(e, rc == SQLITE_BUSY ? ERR_AGAIN : ERR_BACKEND, "db",
                "cannot configure database '%s': %s", ss->path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close_v2(c->db);
        free(c);
        return NULL;
    }
    pthread_mutex_lock(&ss->lock);
    c->next = ss->conns;
    ss->conns = c;
    pthread_mutex_unlock(&ss->lock);
    pthread_setspecific(ss->key, c);
    return c;
}

/* The statement text hashed a word at a time: the cache is looked up for every statement run,
 * and a byte-at-a-time hash over a few hundred bytes of SQL showed in the writer's profile. */
static uint64_t hash_sql(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    return h ^ h >> 29;
}

sqlite3_stmt *sq_prepare(struct sq_conn *c, const char *sql, struct err *e)
{
    size_t len = strlen(sql);
    uint64_t h = hash_sql(sql, len);
    struct sq_cached *slot = NULL;
    for (int i = 0; i < 8; i++) {
        struct sq_cached *x = &c->cache[(h + (uint64_t)i) % SQ_CACHE];
        if (x->sql && x->len == len && memcmp(x->sql, sql, len) == 0)
            return x->stmt;
        if (!x->sql && !slot)
            slot = x;
    }
    if (!slot) { /* the probe window is full: evict its first entry */
        slot = &c->cache[h % SQ_CACHE];
        sqlite3_finalize(slot->stmt);
        free(slot->sql);
        slot->sql = NULL;
        slot->stmt = NULL;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        sq_fail(c, rc, e, "prepare");
        log_error("store", "prepare failed: %s: %.200s", sqlite3_errmsg(c->db), sql);
        return NULL;
    }
    slot->sql = strdup(sql);
    slot->len = len;
    if (!slot->sql) {
        sqlite3_finalize(st);
        err_set(e, ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    slot->stmt = st;
    return st;
}

void sq_done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

int sq_fail(struct sq_conn *c, int rc, struct err *e, const char *what)
{
    const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return err_set(e, ERR_AGAIN, NULL, "database busy (%s): %s", what, msg);
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return err_set(e, ERR_CONFLICT, NULL, "%s: %s", what, msg);
        return err_set(e, ERR_INVALID, NULL, "%s: %s", what, msg);
    case SQLITE_NOMEM:
        return err_set(e, ERR_NOMEM, NULL, "%s: out of memory", what);
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return err_set(e, ERR_IO, NULL, "%s: %s", what, msg);
    default:
        return err_set(e, ERR_BACKEND, NULL, "%s: %s", what, msg);
    }
}

int sq_exec_stmt(struct sq_conn *c, sqlite3_stmt *st, struct err *e, const char *what)
{
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        out = sq_fail(c, rc, e, what);
    sq_done(st);
    return out;
}

int sq_exec(struct sq_conn *c, const char *sql, struct err *e)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return 0;
    int code = sq_fail(c, rc, e, "exec");
    if (msg && e)
        err_set(e, code, NULL, "%s", msg);
    sqlite3_free(msg);
    return code;
}

int sq_count(struct sq_conn *c, const char *sql, int64_t *out, struct err *e)
{
    sqlite3_stmt *st = sq_prepare(c, sql, e);
    if (!st)
        return e->code;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sq_done(st);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, rc, e, "count");
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void sq_bind_ts(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

const char *sq_col_text(sqlite3_stmt *st, int i, struct arena *a)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

const char *sq_col_enum(sqlite3_stmt *st, int i, struct arena *a)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    const char *in = store_intern((const char *)t);
    return in ? in : arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

int64_t sq_col_ts(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

void sq_read_conv(sqlite3_stmt *st, int f, struct arena *a, struct conversation *c)
{
    const unsigned char *id = sqlite3_column_text(st, f);
    snprintf(c->id, sizeof c->id, "%s", id ? (const char *)id : "");
    c->customer_id = sq_col_ts(st, f + 1);
    c->customer_name = sq_col_text(st, f + 2, a);
    c->customer_phone = sq_col_text(st, f + 3, a);
    c->customer_email = sq_col_text(st, f + 4, a);
    c->channel = sq_col_enum(st, f + 5, a);
    c->status = sq_col_enum(st, f + 6, a);
    c->initiated_at = sq_col_ts(st, f + 7);
    c->last_activity_at = sq_col_ts(st, f + 8);
    c->completed_at = sq_col_ts(st, f + 9);
    c->satisfaction_score = (int)sq_col_ts(st, f + 10);
    c->sentiment = sq_col_enum(st, f + 11, a);
    c->outcome = sq_col_enum(st, f + 12, a);
    c->subject = sq_col_text(st, f + 13, a);
    c->ai_summary = sq_col_text(st, f + 14, a);
    c->metadata = sq_col_text(st, f + 15, a);
    c->score_explanation = sq_col_text(st, f + 16, a);
    c->message_count = sqlite3_column_int64(st, f + 17);
    c->last_message_preview = sq_col_text(st, f + 18, a);
}

/* ---- store lifecycle and transactions ----------------------------------------------------- */

static void sq_close(struct store *s)
{
    struct sq_store *ss = (struct sq_store *)s;
    if (ss->ckpt_running) {
        pthread_mutex_lock(&ss->lock);
        ss->ckpt_stop = true;
        pthread_cond_signal(&ss->ckpt_wake);
        pthread_mutex_unlock(&ss->lock);
        pthread_join(ss->ckpt, NULL);
    }
    pthread_cond_destroy(&ss->ckpt_wake);
    pthread_mutex_lock(&ss->lock);
    struct sq_conn *c = ss->conns;
    ss->conns = NULL;
    pthread_mutex_unlock(&ss->lock);
    while (c) {
        struct sq_conn *n = c->next;
        conn_close(c);
        c = n;
    }
    pthread_setspecific(ss->key, NULL);
    pthread_key_delete(ss->key);
    pthread_mutex_destroy(&ss->lock);
    free(ss->path);
    free(ss);
}

static pthread_once_t configured = PTHREAD_ONCE_INIT;

/* No memory statistics: their global mutex is taken on every allocation of every connection
 * (6% of a legacy load's writer while a source opened first left them on). */
static void configure_once(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        log_warn("store", "SQLite was configured too late: memory statistics stay on");
}

void sqlite_configure(void)
{
    pthread_once(&configured, configure_once);
}

struct store *sqlite_store_open(const char *path, struct err *e)
{
    sqlite_configure();
    if (!*path) {
        err_set(e, ERR_INVALID, "db", "empty SQLite path");
        return NULL;
    }
    struct sq_store *ss = calloc(1, sizeof *ss);
    if (!ss || !(ss->path = strdup(path))) {
        free(ss);
        err_set(e, ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    ss->base.ops = &sq_ops;
    pthread_mutex_init(&ss->lock, NULL);
    pthread_cond_init(&ss->ckpt_wake, NULL);
    pthread_key_create(&ss->key, on_thread_exit);
    /* Open this thread's connection now, so a bad path fails here with a clear message. */
    if (!sq_conn_get(&ss->base, e)) {
        sq_close(&ss->base);
        return NULL;
    }
    return &ss->base;
}

static int sq_ping(struct store *s, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e ? e->code : ERR_BACKEND;
    int64_t n;
    return sq_count(c, "SELECT count(*) FROM schema_version", &n, e);
}

/* Transactions nest: the outermost begin is BEGIN (IMMEDIATE for writers), inner ones are
 * savepoints, so an inner unit of work can fail and be undone alone. */
#define CKPT_INTERVAL_MS 500 /* less often copies a page rewritten meanwhile once: 100 ms
                                * cost a tenth of the SMS ingest rate */
#define CKPT_RESTART_FRAMES 65536 /* 256 MiB of 4 KiB pages */
#define CKPT_CHASE_FRAMES 32768   /* 128 MiB: from here on, checkpoint back to back */

/* Checkpoints the WAL every CKPT_INTERVAL_MS with its own connection (PASSIVE: never waits for
 * readers or the writer), until the store closes. Past CKPT_CHASE_FRAMES it checkpoints again at
 * once for as long as the writer keeps appending: a pass that catches the writer between two
 * commits lets the writer's next transaction start the WAL over before the writer reaches
 * CKPT_RESTART_FRAMES and must checkpoint itself (writer_wal_hook), waiting for two fsyncs. A
 * writer that stopped leaves the WAL as it is, and the checkpointer back on its interval. (Only
 * for the server's writer: a bulk load's long transactions gained nothing from it.)
 * Three 15 s rounds of signed SMS ingest on one database: the writer's own checkpoints took
 * about 9 s of its time before and 1.3 to 2.9 s with this; over a dozen alternating runs the
 * second round averaged 9.7k before and 10.3k req/s after, the third 9.3k and 10.0k.
 * The connection reads the schema first: a connection that has not read the database yet has
 * not opened its WAL, and its checkpoints do nothing. */
static void *ckpt_main(void *arg)
{
    struct sq_store *ss = arg;
    pthread_setname_np(pthread_self(), "sb-checkpoint");
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(ss->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_error("store", "checkpointer cannot open '%s': %s", ss->path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close_v2(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 100);
    if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
        log_warn("store", "checkpointer cannot read '%s': %s", ss->path, sqlite3_errmsg(db));
    bool chase = false;
    int last_log = 0;
    pthread_mutex_lock(&ss->lock);
    while (!ss->ckpt_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CKPT_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (!chase)
            pthread_cond_timedwait(&ss->ckpt_wake, &ss->lock, &until);
        if (ss->ckpt_stop)
            break;
        bool may_chase = ss->ckpt_chase;
        pthread_mutex_unlock(&ss->lock);
        int log = 0, done = 0; /* frames in the WAL, frames copied (-1 when busy) */
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        /* the writer is still appending, or this pass left frames behind */
        chase = may_chase && log > CKPT_CHASE_FRAMES && done >= 0 &&
                (done < log || log != last_log);
        last_log = log;
        pthread_mutex_lock(&ss->lock);
    }
    pthread_mutex_unlock(&ss->lock);
    sqlite3_close_v2(db);
    return NULL;
}

/* The writer's WAL hook, after each commit. The WAL starts over from its beginning when a write
 * transaction begins with every frame already checkpointed: after any pause in the writes, as
 * the checkpointer catches up within CKPT_INTERVAL_MS. A writer that commits back to back never
 * sees that (the checkpointer is always a batch behind), so past CKPT_RESTART_FRAMES the writer
 * checkpoints the tail itself and its next transaction starts the WAL over. That is routine
 * under sustained load: a WAL that only grows writes every frame to new file space, which the
 * kernel must allocate and zero (a quarter of the writer's time at 7k SMS/s, with 2 GB of WAL
 * after 10 s), while one that starts over rewrites pages still in the page cache. The bound
 * trades that against the writer's own checkpoints and their two fsyncs; signed SMS ingest
 * measured 7.4k req/s at 4 GiB, 7.6k at 16 MiB, 8.8k at 64 MiB, 10.3k at 256 MiB and 9.6k at
 * 1 GiB. */
static int writer_wal_hook(void *arg, sqlite3 *db, const char *schema, int frames)
{
    (void)arg;
    if (frames > CKPT_RESTART_FRAMES)
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* The calling thread's connection becomes the one that writes: its commits only append to the
 * WAL, and a background thread copies the WAL into the database. */
static int checkpoint_in_background(struct store *s, struct sq_conn *c, bool chase,
                                    struct err *e)
{
    struct sq_store *ss = (struct sq_store *)s;
    int rc = sq_exec(c, "PRAGMA wal_autocheckpoint=0", e);
    if (rc < 0)
        return rc;
    sqlite3_wal_hook(c->db, writer_wal_hook, NULL);
    pthread_mutex_lock(&ss->lock);
    ss->ckpt_chase = ss->ckpt_chase || chase;
    if (!ss->ckpt_running && pthread_create(&ss->ckpt, NULL, ckpt_main, ss) == 0)
        ss->ckpt_running = true;
    pthread_mutex_unlock(&ss->lock);
    return 0;
}

static int sq_writer_mode(struct store *s, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    c->search_lag_us = (int64_t)STORE_SEARCH_LAG_MS * 1000;
    return checkpoint_in_background(s, c, true, e);
}

/* A long load: a small page cache and no memory map (its pages are read once), checkpoints on
 * the other core. */
static int sq_bulk_mode(struct store *s, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    int rc = sq_exec(c, "PRAGMA mmap_size=0; PRAGMA cache_size=-24576", e);
    return rc < 0 ? rc : checkpoint_in_background(s, c, false, e);
}

/* A long read in key order: 4 MiB of cache is enough (it runs beside a load's index rebuild,
 * within the load's memory bound). */
static int sq_scan_mode(struct store *s, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    return sq_exec(c, "PRAGMA mmap_size=0; PRAGMA cache_size=-4096", e);
}

/* Runs a transaction statement through the statement cache: the group committer opens and
 * releases a savepoint for every unit of work, and parsing them each time showed up. */
static int tx_stmt(struct sq_conn *c, const char *sql, struct err *e)
{
    sqlite3_stmt *st = sq_prepare(c, sql, e);
    return st ? sq_exec_stmt(c, st, e, sql) : e->code;
}

static int sq_begin(struct store *s, bool write, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    char sql[32];
    if (c->tx_depth == 0)
        snprintf(sql, sizeof sql, "%s", write ? "BEGIN IMMEDIATE" : "BEGIN");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT sp%d", c->tx_depth);
    int rc = tx_stmt(c, sql, e);
    if (rc == 0)
        c->tx_depth++;
    return rc;
}

static int sq_commit(struct store *s, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    if (c->tx_depth == 0)
        return err_set(e, ERR_BACKEND, NULL, "commit without a transaction");
    c->tx_depth--;
    if (c->tx_depth > 0) {
        char sql[32];
        snprintf(sql, sizeof sql, "RELEASE sp%d", c->tx_depth);
        int rc = tx_stmt(c, sql, e);
        if (rc == 0)
            sq_counts_release(c, c->tx_depth);
        return rc;
    }
    int rc = sq_counts_at_commit(c, e);
    if (rc == 0)
        rc = sq_search_at_commit(c, e);
    if (rc == 0)
        rc = tx_stmt(c, "COMMIT", e);
    if (rc < 0) {
        struct err ignored;
        sq_exec(c, "ROLLBACK", &ignored);
        c->search_pending = true; /* what it indexed for earlier commits is undone too */
        sq_counts_drop(c, 0);
    }
    return rc;
}

static void sq_rollback(struct store *s)
{
    struct sq_conn *c = sq_conn_get(s, NULL);
    if (!c || c->tx_depth == 0)
        return;
    c->tx_depth--;
    struct err ignored;
    sq_counts_drop(c, c->tx_depth);
    if (c->tx_depth > 0) {
        char sql[32];
        snprintf(sql, sizeof sql, "ROLLBACK TO sp%d", c->tx_depth);
        tx_stmt(c, sql, &ignored);
        snprintf(sql, sizeof sql, "RELEASE sp%d", c->tx_depth);
        tx_stmt(c, sql, &ignored);
    } else {
        c->search_dirty = false;
        c->search_force = false;
        if (!sqlite3_get_autocommit(c->db))
            sq_exec(c, "ROLLBACK", &ignored);
    }
}

/* Defined in sq_data.c. */
int sq_customer_insert(struct store *, struct customer *, struct err *);
int sq_customer_update(struct store *, int64_t, const struct customer_update *, struct err *);
int sq_customer_get(struct store *, int64_t, struct arena *, struct customer *, struct err *);
int sq_customer_by_phone(struct store *, const char *, struct arena *, struct customer *,
                         struct err *);
int sq_customer_by_email(struct store *, const char *, struct arena *, struct customer *,
                         struct err *);
int sq_customer_list(struct store *, const struct customer_filter *, struct arena *,
                     struct customer_page *, struct err *);
int sq_appointments_for(struct store *, int64_t, struct arena *, struct appointment **, int *,
                        struct err *);
int sq_appointment_insert(struct store *, struct appointment *, struct err *);
int sq_conv_insert(struct store *, const struct conversation *, struct err *);
int sq_conv_update(struct store *, const char *, const struct conv_update *, struct err *);
int sq_conv_get(struct store *, const char *, struct arena *, struct conversation *, struct err *);
int sq_conv_list(struct store *, const struct conv_filter *, struct arena *, struct conv_page *,
                 struct err *);
int sq_conv_detail(struct store *, const char *, struct arena *, struct detail *, struct err *);
int sq_timeline(struct store *, int64_t, int, bool, int64_t, const char *, struct arena *,
                struct conv_page *, struct err *);
int sq_timeline_stats(struct store *, int64_t, struct timeline_stats *, struct err *);
int sq_conv_active_thread(struct store *, int64_t, const char *, char *, int64_t *,
                          struct err *);
int sq_msg_insert(struct store *, const struct message *, struct err *);
int sq_msgs_for(struct store *, const char *, struct arena *, struct message **, int *,
                struct err *);
int sq_event_insert(struct store *, const struct comm_event *, struct err *);
int sq_token_insert(struct store *, const char *, const char *, const char *, int64_t *,
                    struct err *);
int sq_token_lookup(struct store *, const char *, char[16], int64_t *, char[64], struct err *);
int sq_customer_import(struct store *s, const struct customer_import *c, struct err *e);
int sq_appointment_import(struct store *s, const struct appointment_import *ap, struct err *e);
int sq_customer_exists(struct store *s, int64_t id, bool *exists, struct err *e);
int sq_appointment_exists(struct store *s, int64_t id, bool *exists, struct err *e);
int sq_legacy_done(struct store *s, int64_t lo, int64_t hi, int64_t *ids, int max, int *n, struct err *e);
int sq_legacy_map_insert(struct store *s, int64_t legacy_id, const char *session_id, const char *conv_id, struct err *e);
int sq_legacy_scan(struct store *s, int64_t after, int64_t upto, int (*cb)(void *ctx, const struct legacy_target_row *r), void *ctx, struct err *e);
int sq_count_customers(struct store *s, int64_t *customers, int64_t *appointments, struct err *e);
int sq_legacy_map_dual(struct store *s, int64_t legacy_id, const char *session_id, const char *conv_id, struct err *e);
int sq_legacy_call_write(struct store *s, const struct legacy_call_out *c, int64_t *legacy_id, struct err *e);
int sq_has_legacy_tables(struct store *s, bool *yes, struct err *e);
int sq_outbox_add(struct store *s, const char *conv_id, const char *payload, int64_t now, struct err *e);
int sq_outbox_due(struct store *s, int64_t now, int limit, struct arena *a, struct outbox_item **items, int *n, struct err *e);
int sq_outbox_delivered(struct store *s, int64_t id, int64_t legacy_id, int64_t now, struct err *e);
int sq_outbox_failed(struct store *s, int64_t id, int64_t next_at, const char *error, struct err *e);
int sq_outbox_pending(struct store *s, int64_t *n, int64_t *oldest, struct err *e);
int sq_count_conversations(struct store *, int64_t *, struct err *);
int sq_conv_scan(struct store *, const struct conv_scan *,
                 int (*)(void *, const struct conv_stat_row *), void *, struct err *);
int sq_sms_find(struct store *, const char *, char[UUID_STR_LEN + 1], char[UUID_STR_LEN + 1],
                struct err *);
int sq_optout_set(struct store *, const char *, bool, const char *, int64_t, const char *,
                  struct err *);
int sq_optout_get(struct store *, const char *, bool *, struct err *);
int sq_sms_state(struct store *, const char *, struct arena *, struct sms_state *, struct err *);
int sq_sms_update(struct store *, const char *, const struct sms_update *, struct err *);
int sq_email_update(struct store *, const char *, const char *, const char *, struct err *);
int sq_idem_claim(struct store *, const char *, const char *, int64_t, int64_t, struct arena *,
                  struct idem_record *, struct err *);
int sq_idem_finish(struct store *, const char *, int, const char *, struct err *);
int sq_idem_release(struct store *, const char *, struct err *);

const struct store_ops sq_ops = {
    .name = "sqlite",
    .close = sq_close,
    .migrate = sq_migrate,
    .schema_version = sq_schema_version,
    .ping = sq_ping,
    .bulk_mode = sq_bulk_mode,
    .bulk_begin = sq_bulk_begin,
    .bulk_pending = sq_bulk_pending,
    .bulk_finish = sq_bulk_finish,
    .scan_mode = sq_scan_mode,
    .writer_mode = sq_writer_mode,
    .search_flush = sq_search_flush,
    .search_current = sq_search_current,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .customer_insert = sq_customer_insert,
    .customer_update = sq_customer_update,
    .customer_get = sq_customer_get,
    .customer_by_phone = sq_customer_by_phone,
    .customer_by_email = sq_customer_by_email,
    .customer_list = sq_customer_list,
    .appointments_for = sq_appointments_for,
    .appointment_insert = sq_appointment_insert,
    .conv_insert = sq_conv_insert,
    .conv_update = sq_conv_update,
    .conv_get = sq_conv_get,
    .conv_list = sq_conv_list,
    .conv_detail = sq_conv_detail,
    .timeline = sq_timeline,
    .timeline_stats = sq_timeline_stats,
    .conv_active_thread = sq_conv_active_thread,
    .msg_insert = sq_msg_insert,
    .msgs_for = sq_msgs_for,
    .event_insert = sq_event_insert,
    .token_insert = sq_token_insert,
    .token_lookup = sq_token_lookup,
    .customer_import = sq_customer_import,
    .appointment_import = sq_appointment_import,
    .customer_exists = sq_customer_exists,
    .appointment_exists = sq_appointment_exists,
    .legacy_done = sq_legacy_done,
    .legacy_map_insert = sq_legacy_map_insert,
    .legacy_scan = sq_legacy_scan,
    .count_customers = sq_count_customers,
    .legacy_map_dual = sq_legacy_map_dual,
    .legacy_call_write = sq_legacy_call_write,
    .has_legacy_tables = sq_has_legacy_tables,
    .outbox_add = sq_outbox_add,
    .outbox_due = sq_outbox_due,
    .outbox_delivered = sq_outbox_delivered,
    .outbox_failed = sq_outbox_failed,
    .outbox_pending = sq_outbox_pending,
    .count_conversations = sq_count_conversations,
    .conv_scan = sq_conv_scan,
    .sms_find = sq_sms_find,
    .optout_set = sq_optout_set,
    .optout_get = sq_optout_get,
    .sms_state = sq_sms_state,
    .sms_update = sq_sms_update,
    .email_update = sq_email_update,
    .idem_claim = sq_idem_claim,
    .idem_finish = sq_idem_finish,
    .idem_release = sq_idem_release,
};
