/*
 * customers.c - /api/admin/customers: list and search, get, create, patch, and the
 * cross-channel timeline with its stats.
 *
 * Layer: api. Search text is matched against names and e-mails case-insensitively, and, when it
 * reads as a phone number in any format, against the E.164 phone (api.md §3).
 */
#include "api/api.h"

#include "core/json.h"
#include "core/phone.h"
#include "domain/domain.h"

#include <stdio.h>
#include <string.h>

#define SEARCH_MAX_BYTES 200

static void list(struct http_req *req, struct http_resp *resp)
{
    int64_t page, page_size;
    if (!api_query_int(req, resp, "page", 1, 10000000, 1, &page) ||
        !api_query_int(req, resp, "page_size", 1, 100, 20, &page_size))
        return;
    struct customer_filter f = {0};
    const char *search = http_query(req, "search");
    if (!search)
        search = http_query(req, "q");
    char e164[PHONE_E164_MAX];
    if (search) {
        size_t n = strlen(search);
        if (n > SEARCH_MAX_BYTES || !json_utf8_valid(search, n)) {
            api_error(resp, 422, NULL, "search", "search must be valid UTF-8 of at most %d bytes",
                      SEARCH_MAX_BYTES);
            return;
        }
        f.search = search;
        if (phone_to_e164(search, e164))
            f.search_phone = e164;
    }
    f.limit = (int)page_size;
    f.offset = (page - 1) * page_size;
    struct customer_page p;
    struct err e;
    err_clear(&e);
    if ((f.search && api_search_sync(req, &e) < 0) ||
        store_customer_list(app_store(req), &f, req->arena, &p, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    struct buf *b = &resp->body;
    buf_lit(b, "{\"total\":");
    json_int(b, p.total);
    buf_lit(b, ",\"page\":");
    json_int(b, page);
    buf_lit(b, ",\"page_size\":");
    json_int(b, page_size);
    buf_lit(b, ",\"total_pages\":");
    json_int(b, (p.total + page_size - 1) / page_size);
    buf_lit(b, ",\"customers\":[");
    for (int i = 0; i < p.n; i++) {
        if (i)
            buf_addc(b, ',');
        api_render_customer(b, &p.items[i]);
    }
    buf_lit(b, "]}");
}

static void render_appointments(struct buf *b, struct http_req *req, int64_t id, struct err *e,
                                bool *ok)
{
    struct appointment *aps;
    int n;
    *ok = store_appointments_for(app_store(req), id, req->arena, &aps, &n, e) == 0;
    buf_addc(b, '[');
    for (int i = 0; *ok && i < n; i++) {
        if (i)
            buf_addc(b, ',');
        api_render_appointment(b, &aps[i]);
    }
    buf_addc(b, ']');
}

static void get(struct http_req *req, struct http_resp *resp)
{
    int64_t id;
    if (!api_path_id(req, resp, 0, &id))
        return;
    struct customer c;
    struct err e;
    err_clear(&e);
    struct store *s = app_store(req);
    if (store_customer_get(s, id, req->arena, &c, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    struct conv_page p;
    if (store_timeline(s, id, 50, false, 0, NULL, req->arena, &p, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    struct buf *b = &resp->body;
    api_render_customer(b, &c);
    b->len--; /* reopen the object */
    buf_lit(b, ",\"appointments\":");
    bool ok;
    render_appointments(b, req, id, &e, &ok);
    if (!ok) {
        api_fail(req, resp, &e);
        return;
    }
    buf_lit(b, ",\"conversations\":[");
    for (int i = 0; i < p.n; i++) {
        if (i)
            buf_addc(b, ',');
        api_render_timeline_item(b, &p.items[i]);
    }
    buf_lit(b, "]}");
}

/* Reads name/phone/email from a JSON body; false after a 422 for a wrong type. */
static bool read_input(struct http_resp *resp, json_t *j, struct dom_customer_input *in)
{
    memset(in, 0, sizeof *in);
    static const char *const KEYS[] = {"name", "phone", "email"};
    for (int k = 0; k < 3; k++) {
        json_t *v = json_object_get(j, KEYS[k]);
        if (!v)
            continue;
        if (!json_is_null(v) && !json_is_string(v)) {
            api_error(resp, 422, NULL, KEYS[k], "%s must be a string", KEYS[k]);
            return false;
        }
        const char *s = json_string_value(v);
        if (k == 0) {
            in->has_name = true;
            in->name = s;
        } else if (k == 1) {
            in->has_phone = true;
            in->phone = s;
            in->phone_null = json_is_null(v);
        } else {
            in->has_email = true;
            in->email = s;
            in->email_null = json_is_null(v);
        }
    }
    return true;
}

static void create(struct http_req *req, struct http_resp *resp)
{
    json_t *j = api_json_body(req, resp);
    struct dom_customer_input in;
    if (!j || !read_input(resp, j, &in))
        return;
    struct customer c;
    struct err e;
    err_clear(&e);
    if (dom_customer_create(app_store(req), &in, req->arena, &c, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    resp->status = 201;
    http_resp_header(resp, "Location",
                     arena_printf(req->arena, "/api/admin/customers/%lld", (long long)c.id));
    api_render_customer(&resp->body, &c);
}

static void patch(struct http_req *req, struct http_resp *resp)
{
    int64_t id;
    if (!api_path_id(req, resp, 0, &id))
        return;
    json_t *j = api_json_body(req, resp);
    struct dom_customer_input in;
    if (!j || !read_input(resp, j, &in))
        return;
    struct customer c;
    struct err e;
    err_clear(&e);
    if (dom_customer_patch(app_store(req), id, &in, req->arena, &c, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    api_render_customer(&resp->body, &c);
}

static void timeline(struct http_req *req, struct http_resp *resp)
{
    int64_t id, limit;
    if (!api_path_id(req, resp, 0, &id) ||
        !api_query_int(req, resp, "limit", 1, 200, 50, &limit))
        return;
    const char *before = http_query(req, "before");
    int64_t bkey = 0;
    char bid[37] = "";
    if (before && !api_cursor_decode(before, &bkey, bid)) {
        api_error(resp, 422, NULL, "before", "before is not a cursor this server issued");
        return;
    }
    struct store *s = app_store(req);
    struct customer c;
    struct conv_page p;
    struct timeline_stats st;
    struct err e;
    err_clear(&e);
    if (store_customer_get(s, id, req->arena, &c, &e) < 0 ||
        store_timeline(s, id, (int)limit, before != NULL, bkey, bid, req->arena, &p, &e) < 0 ||
        store_timeline_stats(s, id, &st, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    struct buf *b = &resp->body;
    buf_grow(b, 2048 + (size_t)p.n * 600);
    buf_lit(b, "{\"customer\":");
    api_render_customer(b, &c);
    buf_lit(b, ",\"timeline\":[");
    for (int i = 0; i < p.n; i++) {
        if (i)
            buf_addc(b, ',');
        api_render_timeline_item(b, &p.items[i]);
    }
    buf_lit(b, "],\"appointments\":");
    bool ok;
    render_appointments(b, req, id, &e, &ok);
    if (!ok) {
        api_fail(req, resp, &e);
        return;
    }
    buf_lit(b, ",\"stats\":{\"total_conversations\":");
    json_int(b, st.total);
    buf_lit(b, ",\"by_channel\":{\"voice\":");
    json_int(b, st.voice);
    buf_lit(b, ",\"sms\":");
    json_int(b, st.sms);
    buf_lit(b, ",\"email\":");
    json_int(b, st.email);
    buf_lit(b, "},\"avg_satisfaction_score\":");
    if (st.avg_score < 0)
        buf_lit(b, "null");
    else
        json_double(b, st.avg_score);
    buf_lit(b, ",\"first_contact_at\":");
    json_ts(b, st.first_contact_at);
    buf_lit(b, ",\"last_contact_at\":");
    json_ts(b, st.last_contact_at);
    buf_lit(b, ",\"channels_used\":[");
    const char *sep = "";
    if (st.voice) {
        buf_lit(b, "\"voice\"");
        sep = ",";
    }
    if (st.sms) {
        buf_adds(b, sep);
        buf_lit(b, "\"sms\"");
        sep = ",";
    }
    if (st.email) {
        buf_adds(b, sep);
        buf_lit(b, "\"email\"");
    }
    buf_lit(b, "]},\"next_cursor\":");
    if (p.has_more && p.n > 0) {
        const struct conversation *last = &p.items[p.n - 1];
        json_str(b, api_cursor_encode(req->arena, last->last_activity_at, last->id));
    } else {
        buf_lit(b, "null");
    }
    buf_addc(b, '}');
}

const struct http_route api_customer_routes[] = {
    {"GET", "/api/admin/customers", list, HTTP_VIEWER, HTTP_BODY_NONE, 0, NULL},
    {"POST", "/api/admin/customers", create, HTTP_STAFF, HTTP_BODY_JSON, 0, NULL},
    {"GET", "/api/admin/customers/{id}", get, HTTP_VIEWER, HTTP_BODY_NONE, 0, NULL},
    {"PATCH", "/api/admin/customers/{id}", patch, HTTP_STAFF, HTTP_BODY_JSON, 0, NULL},
    {"GET", "/api/admin/customers/{id}/timeline", timeline, HTTP_VIEWER, HTTP_BODY_NONE, 0,
     NULL},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
