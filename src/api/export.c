/*
 * export.c - GET /api/admin/export/conversations.csv: the conversation list as CSV, streamed.
 *
 * Layer: api. Takes the list's filters and sort (api.md §4: "same filters as the list"; paging
 * parameters are ignored: the export has every matching row). Rows are fetched 500 at a time by
 * keyset cursor while the response streams, so memory stays flat however many rows match.
 * Cells are quoted per RFC 4180; a cell that a spreadsheet would run as a formula (starting with
 * =, +, -, @, tab or CR, and not a plain number such as a phone) gets a leading apostrophe.
 */
#include "api/api.h"
#include "domain/domain.h"

#include "core/json.h"
#include "core/timeutil.h"

#include <string.h>

#define CHUNK 500

static const char HEADER[] =
    "id,customer_id,customer_name,customer_phone,channel,status,initiated_at,last_activity_at,"
    "completed_at,satisfaction_score,sentiment,outcome,subject,message_count,"
    "last_message_preview\r\n";

struct export {
    struct store *s;
    struct conv_filter f;
    struct arena *chunk; /* one page of rows; reset per page */
    bool done;
};

/* True for a plain number such as an E.164 phone ("+14155550100"): harmless in a spreadsheet. */
static bool is_number(const char *v)
{
    const char *p = v + (*v == '+' || *v == '-');
    return *p && strspn(p, "0123456789.") == strlen(p);
}

static void cell(struct buf *b, const char *v)
{
    if (!v)
        return;
    bool formula = v[0] && strchr("=+-@\t\r", v[0]) != NULL && !is_number(v);
    bool quote = formula || strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        buf_addc(b, '"');
    if (formula)
        buf_addc(b, '\'');
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            buf_addc(b, '"');
        buf_addc(b, *p);
    }
    if (quote)
        buf_addc(b, '"');
}

static void ts_cell(struct buf *b, int64_t t)
{
    char tmp[TIME_RFC3339_LEN + 1];
    if (t) {
        time_format(t, tmp);
        buf_adds(b, tmp);
    }
}

static void row(struct buf *b, const struct conversation *c)
{
    buf_adds(b, c->id);
    buf_addc(b, ',');
    if (c->customer_id)
        buf_add_i64(b, c->customer_id);
    buf_addc(b, ',');
    cell(b, c->customer_id ? c->customer_name : NULL);
    buf_addc(b, ',');
    cell(b, c->customer_id ? c->customer_phone : NULL);
    buf_addc(b, ',');
    cell(b, c->channel);
    buf_addc(b, ',');
    cell(b, c->status);
    buf_addc(b, ',');
    ts_cell(b, c->initiated_at);
    buf_addc(b, ',');
    ts_cell(b, c->last_activity_at);
    buf_addc(b, ',');
    ts_cell(b, c->completed_at);
    buf_addc(b, ',');
    if (c->satisfaction_score)
        buf_add_i64(b, c->satisfaction_score);
    buf_addc(b, ',');
    cell(b, c->sentiment);
    buf_addc(b, ',');
    cell(b, c->outcome);
    buf_addc(b, ',');
    cell(b, c->subject);
    buf_addc(b, ',');
    buf_add_i64(b, c->message_count);
    buf_addc(b, ',');
    cell(b, c->last_message_preview);
    buf_lit(b, "\r\n");
}

/* Appends the next page of rows; 0 after the last one. */
static int next(void *ctx, struct buf *out)
{
    struct export *x = ctx;
    if (x->done)
        return 0;
    arena_reset(x->chunk);
    struct conv_page p;
    struct err e;
    err_clear(&e);
    if (store_conv_list(x->s, &x->f, x->chunk, &p, &e) < 0)
        return -1; /* the client sees a cut-off body, not a well-formed lie */
    for (int i = 0; i < p.n; i++)
        row(out, &p.items[i]);
    if (!p.has_more || p.n == 0) {
        x->done = true;
        return p.n > 0 ? 1 : 0;
    }
    const struct conversation *last = &p.items[p.n - 1];
    x->f.has_cursor = true;
    x->f.cursor_key = store_conv_sort_key(last, x->f.sort);
    memcpy(x->f.cursor_id, last->id, sizeof x->f.cursor_id);
    return 1;
}

static void free_chunk(void *p)
{
    arena_free(p);
}

static void export_csv(struct http_req *req, struct http_resp *resp)
{
    struct export *x = arena_calloc(req->arena, sizeof *x);
    int64_t page, page_size;
    if (!x) {
        api_error(resp, 500, NULL, NULL, "out of memory");
        return;
    }
    if (!api_conv_filter_parse(req, resp, &x->f, &page, &page_size))
        return;
    x->s = app_store(req);
    struct err se;
    err_clear(&se);
    if (x->f.q && api_search_sync(req, &se) < 0) {
        api_fail(req, resp, &se);
        return;
    }
    x->f.limit = CHUNK;
    x->f.offset = 0;
    x->f.want_total = false;
    x->chunk = arena_new(1 << 16, 0);
    if (!x->chunk || arena_on_free(req->arena, free_chunk, x->chunk) < 0) {
        arena_free(x->chunk);
        api_error(resp, 500, NULL, NULL, "out of memory");
        return;
    }
    resp->content_type = "text/csv; charset=utf-8";
    http_resp_header(resp, "Content-Disposition", "attachment; filename=\"conversations.csv\"");
    buf_lit(&resp->body, HEADER);
    resp->stream_next = next;
    resp->stream_ctx = x;
}

const struct http_route api_export_routes[] = {
    {"GET", "/api/admin/export/conversations.csv", export_csv, HTTP_VIEWER, HTTP_BODY_NONE, NULL,
     NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};
