/*
 * src_sqlite.c - the SQLite legacy source: read-only connection, ordered cursors.
 *
 * Layer: store/legacy. The file is opened read-only (never modified, never migrated). The
 * events stream is ordered by session, which the legacy schema has no index for, so SQLite
 * sorts it; the sorter spills to temporary files past a bounded cache, keeping memory flat.
 */
#include "store/legacy/src_int.h"
#include "store/store_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct sq_src {
    struct legacy_src base;
    sqlite3 *db;
};

struct sq_cursor {
    sqlite3_stmt *st;
    sqlite3 *db;
};

static void close_src(struct legacy_src *src)
{
    struct sq_src *s = (struct sq_src *)src;
    sqlite3_close_v2(s->db);
    free(s);
}

static void *query(struct legacy_src *src, const char *sql, const char *const *params,
                   int n_params, struct err *e)
{
    struct sq_src *s = (struct sq_src *)src;
    struct sq_cursor *c = calloc(1, sizeof *c);
    if (!c) {
        err_set(e, ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    c->db = s->db;
    if (sqlite3_prepare_v2(s->db, sql, -1, &c->st, NULL) != SQLITE_OK) {
        err_set(e, ERR_BACKEND, NULL, "legacy query failed: %s", sqlite3_errmsg(s->db));
        free(c);
        return NULL;
    }
    for (int i = 0; i < n_params; i++)
        sqlite3_bind_text(c->st, i + 1, params[i], -1, SQLITE_TRANSIENT);
    return c;
}

static int step(void *cursor, struct err *e)
{
    struct sq_cursor *c = cursor;
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return err_set(e, ERR_BACKEND, NULL, "reading the legacy database: %s", sqlite3_errmsg(c->db));
}

static const char *col(void *cursor, int i)
{
    struct sq_cursor *c = cursor;
    return (const char *)sqlite3_column_text(c->st, i);
}

static void finish(void *cursor)
{
    struct sq_cursor *c = cursor;
    if (c) {
        sqlite3_finalize(c->st);
        free(c);
    }
}

static int exec(struct legacy_src *src, const char *sql, const char *const *params, int n_params,
                int64_t *first, struct err *e)
{
    struct sq_cursor *c = query(src, sql, params, n_params, e);
    if (!c)
        return e->code;
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW && first)
        *first = sqlite3_column_int64(c->st, 0);
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE
                  ? 0
                  : err_set(e, rc == SQLITE_BUSY ? ERR_AGAIN : ERR_BACKEND, NULL,
                            "writing the legacy database: %s", sqlite3_errmsg(c->db));
    finish(c);
    return out;
}

static const struct legacy_src_ops OPS = {close_src, query, step, col, finish, exec};

struct legacy_src *legacy_sqlite_open(const char *path, bool writable, struct err *e)
{
    struct sq_src *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    s->base.ops = &OPS;
    sqlite_configure();
    /* one thread at a time uses a source (the migrator's phases, one delivery pass): no
     * connection mutex, which every column read of millions of rows would otherwise take */
    if (sqlite3_open_v2(path, &s->db,
                        (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err_set(e, ERR_IO, "from", "cannot open legacy database '%s': %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        close_src(&s->base);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_exec(s->db, "PRAGMA cache_size=-8192; PRAGMA temp_store=FILE; PRAGMA mmap_size=0;", NULL, NULL, NULL);
    /* A legacy database has all four tables; anything else is refused here. */
    sqlite3_stmt *st = NULL;
    int n = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                           "('customers', 'appointments', 'call_sessions', 'call_events')",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    else {
        err_set(e, ERR_IO, "from", "cannot read '%s': %s", path, sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        close_src(&s->base);
        return NULL;
    }
    sqlite3_finalize(st);
    if (n != 4) {
        err_set(e, ERR_INVALID, "from",
                "'%s' is not a legacy database (it lacks customers, appointments, call_sessions "
                "or call_events)",
                path);
        close_src(&s->base);
        return NULL;
    }
    return &s->base;
}
