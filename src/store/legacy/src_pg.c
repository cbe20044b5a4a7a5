/*
 * src_pg.c - the PostgreSQL legacy source (libpq): one read-only transaction, server-side
 * cursors fetched in blocks, so memory stays flat whatever the table sizes.
 *
 * Layer: store/legacy. Everything is read as text (DateStyle ISO, so timestamps look like the
 * SQLite source's); the generic stream code parses it.
 */
#include "store/legacy/src_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_ROWS 2000

struct pg_src {
    struct legacy_src base;
    PGconn *conn;
    int next_cursor;
};

struct pg_cursor {
    struct pg_src *src;
    char name[32];
    PGresult *res;
    int row, rows;
    bool done;
};

static int fail(struct pg_src *s, struct err *e, const char *what)
{
    return err_set(e, ERR_BACKEND, NULL, "%s: %s", what, PQerrorMessage(s->conn));
}

static bool exec_ok(struct pg_src *s, const char *sql, struct err *e)
{
    PGresult *r = PQexec(s->conn, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fail(s, e, "legacy database");
    PQclear(r);
    return ok;
}

static void close_src(struct legacy_src *src)
{
    struct pg_src *s = (struct pg_src *)src;
    if (s->conn) {
        PGresult *r = PQexec(s->conn, "ROLLBACK");
        PQclear(r);
        PQfinish(s->conn);
    }
    free(s);
}

static void *query(struct legacy_src *src, const char *sql, const char *const *params,
                   int n_params, struct err *e)
{
    struct pg_src *s = (struct pg_src *)src;
    struct pg_cursor *c = calloc(1, sizeof *c);
    if (!c) {
        err_set(e, ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    c->src = s;
    snprintf(c->name, sizeof c->name, "legacy_c%d", s->next_cursor++);
    size_t n = strlen(sql) + 64;
    char *decl = malloc(n);
    if (!decl) {
        free(c);
        err_set(e, ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    snprintf(decl, n, "DECLARE %s NO SCROLL CURSOR FOR %s", c->name, sql);
    PGresult *r = PQexecParams(s->conn, decl, n_params, NULL, params, NULL, NULL, 0);
    free(decl);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail(s, e, "legacy query");
        PQclear(r);
        free(c);
        return NULL;
    }
    PQclear(r);
    return c;
}

static int step(void *cursor, struct err *e)
{
    struct pg_cursor *c = cursor;
    if (c->res && c->row + 1 < c->rows) {
        c->row++;
        return 1;
    }
    if (c->done)
        return 0;
    PQclear(c->res);
    char sql[64];
    snprintf(sql, sizeof sql, "FETCH %d FROM %s", FETCH_ROWS, c->name);
    c->res = PQexec(c->src->conn, sql);
    if (PQresultStatus(c->res) != PGRES_TUPLES_OK)
        return fail(c->src, e, "reading the legacy database");
    c->rows = PQntuples(c->res);
    c->row = 0;
    if (c->rows < FETCH_ROWS)
        c->done = true;
    return c->rows > 0 ? 1 : 0;
}

static const char *col(void *cursor, int i)
{
    struct pg_cursor *c = cursor;
    if (!c->res || PQgetisnull(c->res, c->row, i))
        return NULL;
    return PQgetvalue(c->res, c->row, i);
}

static void finish(void *cursor)
{
    struct pg_cursor *c = cursor;
    if (!c)
        return;
    PQclear(c->res);
    char sql[64];
    snprintf(sql, sizeof sql, "CLOSE %s", c->name);
    PGresult *r = PQexec(c->src->conn, sql);
    PQclear(r);
    free(c);
}

static int exec(struct legacy_src *src, const char *sql, const char *const *params, int n_params,
                int64_t *first, struct err *e)
{
    struct pg_src *s = (struct pg_src *)src;
    PGresult *r = PQexecParams(s->conn, sql, n_params, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st == PGRES_TUPLES_OK && first && PQntuples(r) > 0)
        *first = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = fail(s, e, "writing the legacy database");
    PQclear(r);
    return rc;
}

static const struct legacy_src_ops OPS = {close_src, query, step, col, finish, exec};

struct legacy_src *legacy_pg_open(const char *conninfo, bool writable, struct err *e)
{
    struct pg_src *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    s->base.ops = &OPS;
    s->conn = PQconnectdb(conninfo);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        err_set(e, ERR_IO, "from", "cannot connect to the legacy database: %s",
                PQerrorMessage(s->conn));
        close_src(&s->base);
        return NULL;
    }
    if (!exec_ok(s, "SET DateStyle = 'ISO'", e) || !exec_ok(s, "SET client_encoding = 'UTF8'", e) ||
        (!writable && !exec_ok(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", e))) {
        close_src(&s->base);
        return NULL;
    }
    PGresult *r = PQexec(s->conn, "SELECT count(*) FROM information_schema.tables WHERE "
                                  "table_schema = current_schema() AND table_name IN "
                                  "('customers', 'appointments', 'call_sessions', 'call_events')");
    int n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if (n != 4) {
        err_set(e, ERR_INVALID, "from",
                "the PostgreSQL database is not a legacy database (it lacks customers, "
                "appointments, call_sessions or call_events)");
        close_src(&s->base);
        return NULL;
    }
    return &s->base;
}
