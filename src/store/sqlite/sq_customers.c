/*
 * sq_customers.c - customers, appointments and API tokens in SQLite.
 *
 * Layer: store/sqlite. Unique phone/email violations come back as ERR_CONFLICT with the column
 * named in err.field, so the domain layer can say which value is taken.
 */
#include "store/sqlite/sq_int.h"

#include "core/timeutil.h"

#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <wctype.h>

#define CUST_COLS                                                                              \
    "cu.id, cu.name, cu.phone, cu.email, cu.is_new_client, cu.created_at, cu.updated_at"

static void read_customer(sqlite3_stmt *st, struct arena *a, struct customer *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    c->name = sq_col_text(st, 1, a);
    c->phone = sq_col_text(st, 2, a);
    c->email = sq_col_text(st, 3, a);
    c->is_new_client = sqlite3_column_int(st, 4) != 0;
    c->created_at = sq_col_ts(st, 5);
    c->updated_at = sq_col_ts(st, 6);
}

/* Names the unique column a constraint failure is about. */
static int conflict_field(struct sq_conn *c, int rc, struct err *e)
{
    const char *msg = sqlite3_errmsg(c->db);
    int code = sq_fail(c, rc, e, "customer");
    if (code == ERR_CONFLICT && e) {
        if (strstr(msg, "customers.phone"))
            err_set(e, ERR_CONFLICT, "phone", "another customer has this phone number");
        else if (strstr(msg, "customers.email"))
            err_set(e, ERR_CONFLICT, "email", "another customer has this email address");
    }
    return code;
}

int sq_customer_insert(struct store *s, struct customer *cu, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "INSERT INTO customers(name, phone, email, is_new_client, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        e);
    if (!st)
        return e->code;
    if (!cu->created_at)
        cu->created_at = time_now_us();
    cu->updated_at = cu->created_at;
    sq_bind_text(st, 1, cu->name);
    sq_bind_text(st, 2, cu->phone);
    sq_bind_text(st, 3, cu->email);
    sqlite3_bind_int(st, 4, cu->is_new_client);
    sqlite3_bind_int64(st, 5, cu->created_at);
    sqlite3_bind_int64(st, 6, cu->updated_at);
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc != SQLITE_DONE)
        out = conflict_field(c, rc, e);
    else
        cu->id = sqlite3_last_insert_rowid(c->db);
    sq_done(st);
    if (out == 0)
        sq_search_wrote(c);
    return out;
}

int sq_customer_update(struct store *s, int64_t id, const struct customer_update *u,
                       struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "UPDATE customers SET name = coalesce(?2, name), "
        "phone = CASE WHEN ?5 THEN NULL ELSE coalesce(?3, phone) END, "
        "email = CASE WHEN ?6 THEN NULL ELSE coalesce(?4, email) END, updated_at = ?7 "
        "WHERE id = ?1",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    sq_bind_text(st, 2, u->name);
    sq_bind_text(st, 3, u->phone);
    sq_bind_text(st, 4, u->email);
    sqlite3_bind_int(st, 5, u->clear_phone);
    sqlite3_bind_int(st, 6, u->clear_email);
    sqlite3_bind_int64(st, 7, time_now_us());
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc != SQLITE_DONE)
        out = conflict_field(c, rc, e);
    else if (sqlite3_changes(c->db) == 0)
        out = err_set(e, ERR_NOTFOUND, "id", "customer %lld not found", (long long)id);
    sq_done(st);
    return out;
}

static int get_one(struct store *s, const char *sql, int64_t id, const char *text,
                   struct arena *a, struct customer *out, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c, sql, e);
    if (!st)
        return e->code;
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW) {
        read_customer(st, a, out);
        out->conversation_count = sqlite3_column_int64(st, 7);
        out->last_contact_at = sq_col_ts(st, 8);
    } else if (rc == SQLITE_DONE) {
        ret = err_set(e, ERR_NOTFOUND, NULL, "customer not found");
    } else {
        ret = sq_fail(c, rc, e, "customer");
    }
    sq_done(st);
    return ret;
}

#define CUST_STATS                                                                             \
    ", (SELECT count(*) FROM conversations c WHERE c.customer_id = cu.id), "                  \
    "(SELECT max(last_activity_at) FROM conversations c WHERE c.customer_id = cu.id)"

int sq_customer_get(struct store *s, int64_t id, struct arena *a, struct customer *out,
                    struct err *e)
{
    return get_one(s, "SELECT " CUST_COLS CUST_STATS " FROM customers cu WHERE cu.id = ?", id,
                   NULL, a, out, e);
}

int sq_customer_by_phone(struct store *s, const char *e164, struct arena *a,
                         struct customer *out, struct err *e)
{
    return get_one(s, "SELECT " CUST_COLS ", 0, NULL FROM customers cu WHERE cu.phone = ?", 0,
                   e164, a, out, e);
}

int sq_customer_by_email(struct store *s, const char *email, struct arena *a,
                         struct customer *out, struct err *e)
{
    return get_one(s, "SELECT " CUST_COLS ", 0, NULL FROM customers cu WHERE cu.email = ?", 0,
                   email, a, out, e);
}

/* Unicode classification for query words: glibc's C.UTF-8 locale (the process itself keeps the
 * C locale); NULL when the system lacks it. */
static locale_t utf8_ctype;
static pthread_once_t utf8_ctype_once = PTHREAD_ONCE_INIT;

static void utf8_ctype_open(void)
{
    utf8_ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The length of the character at p (1 for an invalid byte) and whether it belongs to a word as
 * the search tokenizer (unicode61) sees it: a letter or a digit. Separators split words, so that
 * no query term is several tokens, which the indexes (no positions) cannot match as a phrase. */
static size_t word_char(const unsigned char *p, bool *in_word)
{
    if (*p < 0x80) {
        *in_word = isalnum(*p) != 0;
        return 1;
    }
    size_t len = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
    wchar_t cp = len == 4 ? *p & 0x07 : len == 3 ? *p & 0x0F : *p & 0x1F;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) { /* (the API takes valid UTF-8 only) */
            *in_word = false;
            return 1;
        }
        cp = cp << 6 | (p[i] & 0x3F);
    }
    pthread_once(&utf8_ctype_once, utf8_ctype_open);
    *in_word = len > 1 && (!utf8_ctype || iswalnum_l((wint_t)cp, utf8_ctype));
    return len;
}

/* Builds an FTS5 query of prefix terms from free text: each word becomes "word"*. Returns NULL
 * when the text has no word characters. */
char *sq_fts_query(const char *q, struct arena *a)
{
    size_t n = strlen(q);
    char *out = arena_alloc(a, n * 3 + 8); /* "x"* and a space: at most 5 bytes per 2 */
    if (!out)
        return NULL;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)q;
    bool in_word = false, was_in = false;
    while (*p) {
        size_t len = word_char(p, &in_word);
        if (in_word && !was_in) {
            if (o)
                out[o++] = ' ';
            out[o++] = '"';
        } else if (!in_word && was_in) {
            out[o++] = '"';
            out[o++] = '*';
        }
        if (in_word) {
            memcpy(out + o, p, len);
            o += len;
        }
        was_in = in_word;
        p += len;
    }
    if (was_in) {
        out[o++] = '"';
        out[o++] = '*';
    }
    out[o] = '\0';
    return o ? out : NULL;
}

int sq_customer_list(struct store *s, const struct customer_filter *f, struct arena *a,
                     struct customer_page *out, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    memset(out, 0, sizeof *out);
    const char *fts = f->search ? sq_fts_query(f->search, a) : NULL;
    char *like = NULL;
    if (f->search) {
        /* a LIKE pattern matching the text literally: escape the wildcards */
        size_t n = strlen(f->search);
        like = arena_alloc(a, n * 2 + 3);
        if (!like)
            return err_set(e, ERR_NOMEM, NULL, "out of memory");
        size_t o = 0;
        like[o++] = '%';
        for (const char *p = f->search; *p; p++) {
            if (*p == '%' || *p == '_' || *p == '\\')
                like[o++] = '\\';
            like[o++] = (char)tolower((unsigned char)*p);
        }
        like[o++] = '%';
        like[o] = '\0';
    }
    /* ?1 fts query, ?2 lower-case LIKE pattern, ?3 E.164 phone */
    const char *where = f->search ? " WHERE (cu.id IN (SELECT rowid FROM customer_fts WHERE "
                                    "customer_fts MATCH ?1) OR cu.email LIKE ?2 ESCAPE '\\' "
                                    "OR cu.phone = ?3 OR lower(cu.name) LIKE ?2 ESCAPE '\\')"
                                  : "";
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT " CUST_COLS CUST_STATS " FROM customers cu%s ORDER BY cu.id DESC "
             "LIMIT ?4 OFFSET ?5",
             where);
    sqlite3_stmt *st = sq_prepare(c, sql, e);
    if (!st)
        return e->code;
    if (f->search) {
        sq_bind_text(st, 1, fts ? fts : "\"\"");
        sq_bind_text(st, 2, like);
        sq_bind_text(st, 3, f->search_phone);
    }
    sqlite3_bind_int(st, 4, f->limit);
    sqlite3_bind_int64(st, 5, f->offset);
    out->items = arena_calloc(a, sizeof *out->items * (size_t)(f->limit > 0 ? f->limit : 1));
    if (!out->items) {
        sq_done(st);
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < f->limit) {
        struct customer *cu = &out->items[out->n++];
        read_customer(st, a, cu);
        cu->conversation_count = sqlite3_column_int64(st, 7);
        cu->last_contact_at = sq_col_ts(st, 8);
    }
    sq_done(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sq_fail(c, rc, e, "customer list");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM customers cu%s", where);
    st = sq_prepare(c, sql, e);
    if (!st)
        return e->code;
    if (f->search) {
        sq_bind_text(st, 1, fts ? fts : "\"\"");
        sq_bind_text(st, 2, like);
        sq_bind_text(st, 3, f->search_phone);
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        out->total = sqlite3_column_int64(st, 0);
    sq_done(st);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, rc, e, "customer count");
}

int sq_appointments_for(struct store *s, int64_t customer_id, struct arena *a,
                        struct appointment **out, int *n, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "SELECT id, customer_id, service, status, provider, notes, starts_at, created_at, "
        "duration_minutes FROM appointments WHERE customer_id = ? ORDER BY starts_at DESC "
        "LIMIT 200",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, customer_id);
    *n = 0;
    *out = arena_calloc(a, sizeof **out * 200);
    if (!*out) {
        sq_done(st);
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct appointment *ap = &(*out)[(*n)++];
        ap->id = sqlite3_column_int64(st, 0);
        ap->customer_id = sqlite3_column_int64(st, 1);
        ap->service = sq_col_text(st, 2, a);
        ap->status = sq_col_text(st, 3, a);
        ap->provider = sq_col_text(st, 4, a);
        ap->notes = sq_col_text(st, 5, a);
        ap->starts_at = sq_col_ts(st, 6);
        ap->created_at = sq_col_ts(st, 7);
        ap->duration_minutes = sqlite3_column_int(st, 8);
    }
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, rc, e, "appointments");
}

int sq_appointment_insert(struct store *s, struct appointment *ap, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "INSERT INTO appointments(customer_id, service, provider, status, starts_at, "
        "duration_minutes, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        e);
    if (!st)
        return e->code;
    if (!ap->created_at)
        ap->created_at = time_now_us();
    sqlite3_bind_int64(st, 1, ap->customer_id);
    sq_bind_text(st, 2, ap->service);
    sq_bind_text(st, 3, ap->provider);
    sq_bind_text(st, 4, ap->status ? ap->status : "scheduled");
    sqlite3_bind_int64(st, 5, ap->starts_at);
    sqlite3_bind_int(st, 6, ap->duration_minutes ? ap->duration_minutes : 60);
    sq_bind_text(st, 7, ap->notes);
    sqlite3_bind_int64(st, 8, ap->created_at);
    int rc = sq_exec_stmt(c, st, e, "appointment insert");
    if (rc == 0)
        ap->id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

int sq_token_insert(struct store *s, const char *name, const char *role, const char *hash,
                    int64_t *id, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c, "INSERT INTO api_tokens(name, role, token_hash, created_at) VALUES (?, ?, ?, ?)", e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, name);
    sq_bind_text(st, 2, role);
    sq_bind_text(st, 3, hash);
    sqlite3_bind_int64(st, 4, time_now_us());
    int rc = sq_exec_stmt(c, st, e, "token insert");
    if (rc == 0 && id)
        *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

int sq_token_lookup(struct store *s, const char *hash, char role[16], int64_t *id,
                    char name[64], struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c, "SELECT id, role, name FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, hash);
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        snprintf(role, 16, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(name, 64, "%s", (const char *)sqlite3_column_text(st, 2));
    } else if (rc == SQLITE_DONE) {
        out = err_set(e, ERR_NOTFOUND, NULL, "unknown token");
    } else {
        out = sq_fail(c, rc, e, "token lookup");
    }
    sq_done(st);
    return out;
}
