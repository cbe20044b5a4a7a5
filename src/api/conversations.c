/*
 * conversations.c - GET/PATCH /api/admin/communications[/{id}] and POST .../{id}/score.
 *
 * Layer: api. The list validates every filter strictly (422 naming the field), pages by offset
 * or by an opaque keyset cursor, and answers next_cursor on every page that has more rows, so a
 * client can switch to cursor paging at any point. `total` is the count for the whole filter.
 */
#include "api/api.h"

#include "core/json.h"
#include "domain/domain.h"

#include <string.h>

#define PAGE_MAX 10000000
#define Q_MAX_BYTES 200

static bool parse_sort(struct http_req *req, struct http_resp *resp, struct conv_filter *f)
{
    const char *sort = http_query(req, "sort");
    const char *order = http_query(req, "order");
    bool desc = true;
    f->sort = CONV_SORT_LAST_ACTIVITY;
    if (sort) {
        if (*sort == '-') {
            sort++;
        } else if (*sort == '+') {
            sort++;
            desc = false;
        }
        if (strcmp(sort, "last_activity_at") == 0)
            f->sort = CONV_SORT_LAST_ACTIVITY;
        else if (strcmp(sort, "initiated_at") == 0)
            f->sort = CONV_SORT_INITIATED;
        else if (strcmp(sort, "satisfaction_score") == 0)
            f->sort = CONV_SORT_SCORE;
        else {
            api_error(resp, 422, NULL, "sort",
                      "sort must be last_activity_at, initiated_at or satisfaction_score, "
                      "optionally prefixed with '-'");
            return false;
        }
    }
    if (order) {
        if (strcmp(order, "asc") == 0)
            desc = false;
        else if (strcmp(order, "desc") == 0)
            desc = true;
        else {
            api_error(resp, 422, NULL, "order", "order must be asc or desc");
            return false;
        }
    }
    f->asc = !desc;
    return true;
}

bool api_conv_filter_parse(struct http_req *req, struct http_resp *resp, struct conv_filter *f,
                           int64_t *page, int64_t *page_size)
{
    memset(f, 0, sizeof *f);
    int64_t cust;
    if (!api_query_int(req, resp, "page", 1, PAGE_MAX, 1, page) ||
        !api_query_int(req, resp, "page_size", 1, 100, 20, page_size) ||
        !api_query_enum(req, resp, "channel", dom_is_channel, &f->channel) ||
        !api_query_enum(req, resp, "status", dom_is_status, &f->status) ||
        !api_query_enum(req, resp, "outcome", dom_is_outcome, &f->outcome) ||
        !api_query_enum(req, resp, "sentiment", dom_is_sentiment, &f->sentiment) ||
        !api_query_int(req, resp, "customer_id", 1, INT64_MAX, 0, &cust) ||
        !api_query_time(req, resp, "since", &f->since) ||
        !api_query_time(req, resp, "until", &f->until) || !parse_sort(req, resp, f))
        return false;
    f->customer_id = cust;
    if (f->since && f->until && f->until < f->since) {
        api_error(resp, 422, NULL, "until", "until is before since");
        return false;
    }
    const char *q = http_query(req, "q");
    if (q) {
        size_t n = strlen(q);
        if (n > Q_MAX_BYTES || !json_utf8_valid(q, n)) {
            api_error(resp, 422, NULL, "q", "q must be valid UTF-8 of at most %d bytes",
                      Q_MAX_BYTES);
            return false;
        }
        f->q = q;
    }
    const char *cursor = http_query(req, "cursor");
    if (cursor) {
        if (!api_cursor_decode(cursor, &f->cursor_key, f->cursor_id)) {
            api_error(resp, 422, NULL, "cursor", "cursor is not one this server issued");
            return false;
        }
        f->has_cursor = true;
    }
    f->limit = (int)*page_size;
    f->offset = (*page - 1) * *page_size;
    f->want_total = true;
    return true;
}

void api_conv_list_reply(struct http_req *req, struct http_resp *resp,
                         const struct conv_filter *f, int64_t page, int64_t page_size)
{
    struct conv_page p;
    struct err e;
    err_clear(&e);
    if ((f->q && api_search_sync(req, &e) < 0) ||
        store_conv_list(app_store(req), f, req->arena, &p, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    struct buf *b = &resp->body;
    buf_grow(b, 1024 + (size_t)p.n * 900);
    buf_lit(b, "{\"total\":");
    json_int(b, p.total);
    buf_lit(b, ",\"page\":");
    json_int(b, page);
    buf_lit(b, ",\"page_size\":");
    json_int(b, page_size);
    buf_lit(b, ",\"total_pages\":");
    json_int(b, (p.total + page_size - 1) / page_size);
    buf_lit(b, ",\"next_cursor\":");
    if (p.has_more && p.n > 0) {
        const struct conversation *last = &p.items[p.n - 1];
        json_str(b, api_cursor_encode(req->arena, store_conv_sort_key(last, f->sort), last->id));
    } else {
        buf_lit(b, "null");
    }
    buf_lit(b, ",\"conversations\":[");
    for (int i = 0; i < p.n; i++) {
        if (i)
            buf_addc(b, ',');
        api_render_conv_item(b, &p.items[i]);
    }
    buf_lit(b, "]}");
}

static void list(struct http_req *req, struct http_resp *resp)
{
    struct conv_filter f;
    int64_t page, page_size;
    if (api_conv_filter_parse(req, resp, &f, &page, &page_size))
        api_conv_list_reply(req, resp, &f, page, page_size);
}

static void render_detail(struct http_req *req, struct http_resp *resp, const char *id)
{
    struct detail d;
    struct err e;
    err_clear(&e);
    if (store_conv_detail(app_store(req), id, req->arena, &d, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    buf_grow(&resp->body, 2048 + (size_t)d.n_msgs * 1024);
    api_render_conv_detail(&resp->body, &d);
}

static void get(struct http_req *req, struct http_resp *resp)
{
    char id[37];
    if (api_path_uuid(req, resp, 0, id))
        render_detail(req, resp, id);
}

/* A string member of a JSON body, or NULL when absent; false after a 422 for another type. */
static bool body_str(struct http_resp *resp, json_t *j, const char *name, const char **out)
{
    json_t *v = json_object_get(j, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        api_error(resp, 422, NULL, name, "%s must be a string", name);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

static void patch(struct http_req *req, struct http_resp *resp)
{
    char id[37];
    if (!api_path_uuid(req, resp, 0, id))
        return;
    json_t *j = api_json_body(req, resp);
    if (!j)
        return;
    struct dom_conv_patch p = {0};
    if (!body_str(resp, j, "status", &p.status) || !body_str(resp, j, "outcome", &p.outcome) ||
        !body_str(resp, j, "subject", &p.subject))
        return;
    struct conversation out;
    struct err e;
    err_clear(&e);
    if (dom_conv_patch(app_store(req), id, &p, req->arena, &out, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    render_detail(req, resp, id);
}

struct score_ctx {
    const char *id;
    struct arena *a;
};

static int do_score(struct store *s, void *vctx, struct err *e)
{
    struct score_ctx *x = vctx;
    return dom_conv_score(s, x->id, true, x->a, NULL, e);
}

static void score(struct http_req *req, struct http_resp *resp)
{
    char id[37];
    if (!api_path_uuid(req, resp, 0, id))
        return;
    if (req->body_len && !api_json_body(req, resp))
        return;
    struct score_ctx x = {id, req->arena};
    struct err e;
    err_clear(&e);
    if (dom_tx(app_store(req), do_score, &x, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    render_detail(req, resp, id);
}

const struct http_route api_conversation_routes[] = {
    {"GET", "/api/admin/communications", list, HTTP_VIEWER, HTTP_BODY_NONE, 0, NULL},
    {"GET", "/api/admin/communications/{id}", get, HTTP_VIEWER, HTTP_BODY_NONE, 0, NULL},
    {"PATCH", "/api/admin/communications/{id}", patch, HTTP_STAFF, HTTP_BODY_JSON, 0, NULL},
    {"POST", "/api/admin/communications/{id}/score", score, HTTP_STAFF, HTTP_BODY_JSON, 0, NULL},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
