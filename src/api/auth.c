/*
 * auth.c - who is calling: bearer API tokens and the three roles, enforced per route.
 *
 * Layer: api. Roles are ordered viewer < staff < admin; a route names the least role it needs.
 * No or an unknown credential is 401 with WWW-Authenticate: Bearer; a known credential with too
 * small a role is 403. Tokens are looked up by their SHA-256 on every request (an indexed read),
 * so a revoked token stops working at once on every instance. Session cookies and CSRF join
 * this file with the dashboard.
 */
#include "api/api.h"

#include "core/json.h"
#include "domain/domain.h"

#include <string.h>
#include <strings.h>

static int rank(const char *role)
{
    if (!role)
        return 0;
    if (strcmp(role, "admin") == 0)
        return 3;
    if (strcmp(role, "staff") == 0)
        return 2;
    if (strcmp(role, "viewer") == 0)
        return 1;
    return 0;
}

static int needed(enum http_access a)
{
    switch (a) {
    case HTTP_ADMIN: return 3;
    case HTTP_STAFF: return 2;
    case HTTP_VIEWER: return 1;
    default: return 0;
    }
}

/* A GET answers from one consistent snapshot: its token lookup and its queries share one read
 * transaction (one lock and WAL check instead of one per statement), ended by api_after. */
static _Thread_local bool in_read;

void api_after(struct http_req *req)
{
    if (in_read) {
        struct err e;
        store_commit(app_store(req), &e);
        in_read = false;
    }
}

int api_search_sync(struct http_req *req, struct err *e)
{
    int rc = dom_search_sync(app_store(req), e);
    if (rc <= 0)
        return rc;
    if (in_read) { /* a new snapshot, with what the writer just indexed */
        store_commit(app_store(req), e);
        err_clear(e);
        in_read = store_begin(app_store(req), false, e) == 0;
    }
    return 0;
}

bool api_authorize(struct http_req *req, struct http_resp *resp)
{
    enum http_access access = req->route->access;
    if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) {
        struct err e;
        in_read = store_begin(app_store(req), false, &e) == 0;
    }
    if (access == HTTP_PUBLIC)
        return true;
    const char *h = http_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
        api_error(resp, 401, NULL, NULL, "missing or invalid credentials: send "
                                         "Authorization: Bearer <token>");
        return false;
    }
    char role[16], name[64];
    int64_t id;
    struct err e;
    err_clear(&e);
    int rc = dom_token_check(app_store(req), h + 7, role, &id, name, &e);
    if (rc == ERR_NOTFOUND) {
        api_error(resp, 401, NULL, NULL, "invalid or revoked token");
        return false;
    }
    if (rc < 0) {
        api_fail(req, resp, &e);
        return false;
    }
    req->role = arena_strdup(req->arena, role);
    req->principal_id = id;
    req->principal_name = arena_strdup(req->arena, name);
    if (rank(role) < needed(access)) {
        api_error(resp, 403, NULL, NULL, "this action needs the %s role",
                  access == HTTP_ADMIN ? "admin" : access == HTTP_STAFF ? "staff" : "viewer");
        return false;
    }
    return true;
}

static void me(struct http_req *req, struct http_resp *resp)
{
    struct buf *b = &resp->body;
    buf_lit(b, "{\"user\":{\"id\":");
    json_int(b, req->principal_id);
    buf_lit(b, ",\"name\":");
    json_str(b, req->principal_name);
    buf_lit(b, ",\"email\":null,\"role\":");
    json_str(b, req->role);
    buf_lit(b, ",\"kind\":\"api_token\"},\"role\":");
    json_str(b, req->role);
    buf_addc(b, '}');
}

const struct http_route api_auth_routes[] = {
    {"GET", "/api/auth/me", me, HTTP_VIEWER, HTTP_BODY_NONE, 0, NULL},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
