/*
 * sq_migrate.c - versioned, forward-only schema migrations for SQLite.
 *
 * Layer: store/sqlite. The SQL files under src/store/migrations/sqlite/ are embedded at build
 * time (sq_migrations[] in the generated sq_migrations.c). schema_version records each applied
 * version; every migration runs in its own IMMEDIATE transaction together with its
 * schema_version row, so a crash leaves the schema at a whole version.
 */
#include "store/sqlite/sq_int.h"

#include "core/log.h"
#include "core/timeutil.h"

struct sq_migration {
    int version;
    const char *name;
    const char *sql;
};

/* Generated from the .sql files by the Makefile. */
extern const struct sq_migration sq_migrations[];
extern const int sq_migrations_count;

static int ensure_table(struct sq_conn *c, struct err *e)
{
    return sq_exec(c,
                   "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                   "name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                   e);
}

static int current_version(struct sq_conn *c, int *v, struct err *e)
{
    int64_t n = 0;
    int rc = sq_count(c, "SELECT coalesce(max(version), 0) FROM schema_version", &n, e);
    *v = (int)n;
    return rc;
}

int sq_schema_version(struct store *s, int *current, int *latest, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    *latest = sq_migrations[sq_migrations_count - 1].version;
    int rc = ensure_table(c, e);
    return rc < 0 ? rc : current_version(c, current, e);
}

int sq_migrate(struct store *s, int *from, int *to, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    int rc = ensure_table(c, e);
    if (rc < 0)
        return rc;
    int v = 0;
    if ((rc = current_version(c, &v, e)) < 0)
        return rc;
    *from = v;
    for (int i = 0; i < sq_migrations_count; i++) {
        const struct sq_migration *m = &sq_migrations[i];
        if (m->version <= v)
            continue;
        if ((rc = sq_exec(c, "BEGIN IMMEDIATE", e)) < 0)
            return rc;
        int now_v = 0;
        /* Another process may have migrated while we waited for the lock. */
        if ((rc = current_version(c, &now_v, e)) < 0 || now_v >= m->version) {
            struct err ignored;
            sq_exec(c, "ROLLBACK", &ignored);
            if (rc < 0)
                return rc;
            v = now_v;
            continue;
        }
        rc = sq_exec(c, m->sql, e);
        if (rc == 0) {
            sqlite3_stmt *st = sq_prepare(
                c, "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)", e);
            if (!st) {
                rc = e->code;
            } else {
                sqlite3_bind_int(st, 1, m->version);
                sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 3, time_now_us());
                rc = sq_exec_stmt(c, st, e, "record migration");
            }
        }
        if (rc == 0)
            rc = sq_exec(c, "COMMIT", e);
        if (rc < 0) {
            struct err ignored;
            sq_exec(c, "ROLLBACK", &ignored);
            err_set(e, e->code, NULL, "migration %d (%s) failed: %s", m->version, m->name,
                    e->msg);
            return e->code;
        }
        log_info("store", "applied migration %d (%s)", m->version, m->name);
        v = m->version;
    }
    *to = v;
    return 0;
}
