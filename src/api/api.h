/*
 * api.h - the admin API: shared context, error replies, parameter parsing and JSON rendering.
 *
 * Layer: api (called by the HTTP server through route tables; calls domain/, store/ for reads,
 * http/, core/). Each resource file (health.c, auth.c, conversations.c, customers.c) exports its
 * route table; api_register_routes() adds them all. Handlers parse and validate their input,
 * call the domain layer, and write the JSON answer in one pass into the response buffer.
 * Errors leave through api_error()/api_fail() only, so every error body has the same shape:
 * {"detail","code","field"} (api.md §0).
 */
#ifndef SB_API_H
#define SB_API_H

#include "core/err.h"
#include "http/http.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>

/* What every handler reaches through req->app. */
struct app {
    struct store *store;
    const char *public_url;
};

static inline struct store *app_store(struct http_req *req)
{
    return ((struct app *)req->app)->store;
}

/* ---- errors (reply.c) ---------------------------------------------------------------------- */

/* Writes the error body {detail, code, field} with this status; code NULL = the standard code
 * for the status. Adds WWW-Authenticate to 401s. */
void api_error(struct http_resp *resp, int status, const char *code, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Maps a domain/store error to its status and body (the one place that does). */
void api_fail(struct http_req *req, struct http_resp *resp, const struct err *e);
/* The server's own errors (404, 405, 413, 415) in the same shape. */
void api_server_error(struct http_resp *resp, int status, const char *code, const char *detail);

/* ---- input (params.c) ---------------------------------------------------------------------- */

/* An integer query parameter in [lo, hi]; def when absent. false after writing a 422. */
bool api_query_int(struct http_req *req, struct http_resp *resp, const char *name, int64_t lo,
                   int64_t hi, int64_t def, int64_t *out);
/* An enumerated query parameter; NULL when absent. false after writing a 422. */
bool api_query_enum(struct http_req *req, struct http_resp *resp, const char *name,
                    bool (*valid)(const char *), const char **out);
/* A timestamp query parameter (RFC 3339 or a date); 0 when absent. */
bool api_query_time(struct http_req *req, struct http_resp *resp, const char *name,
                    int64_t *out);
/* Parses the JSON object body; NULL after writing a 400. Free with json_decref (the arena does
 * it: the object is registered for release with the request). */
json_t *api_json_body(struct http_req *req, struct http_resp *resp);
/* The path parameter as a conversation UUID (lower-cased into out); false after a 400. */
bool api_path_uuid(struct http_req *req, struct http_resp *resp, int i, char out[37]);
/* The path parameter as a positive integer id; false after a 400. */
bool api_path_id(struct http_req *req, struct http_resp *resp, int i, int64_t *out);

/* Opaque keyset cursors: (key, id) <-> base64url text. */
char *api_cursor_encode(struct arena *a, int64_t key, const char *id);
bool api_cursor_decode(const char *s, int64_t *key, char id[37]);

/* ---- conversation lists (conversations.c) --------------------------------------------------- */

/* Reads and validates every list filter, sort and paging parameter (api.md §2); false after a
 * 422. */
bool api_conv_filter_parse(struct http_req *req, struct http_resp *resp, struct conv_filter *f,
                           int64_t *page, int64_t *page_size);
/* Runs the list query and writes the list answer. */
void api_conv_list_reply(struct http_req *req, struct http_resp *resp,
                         const struct conv_filter *f, int64_t page, int64_t page_size);

/* ---- rendering (render.c) ------------------------------------------------------------------ */

void api_render_conv_item(struct buf *b, const struct conversation *c);
void api_render_conv_detail(struct buf *b, const struct detail *d);
void api_render_message(struct buf *b, const struct message *m);
void api_render_timeline_item(struct buf *b, const struct conversation *c);
void api_render_customer(struct buf *b, const struct customer *c);
void api_render_appointment(struct buf *b, const struct appointment *ap);

/* ---- routes -------------------------------------------------------------------------------- */

extern const struct http_route api_health_routes[];
extern const struct http_route api_auth_routes[];
extern const struct http_route api_conversation_routes[];
extern const struct http_route api_customer_routes[];
extern const struct http_route api_analytics_routes[];
extern const struct http_route api_messaging_routes[];
extern const struct http_route api_export_routes[];

/* Registers every route table of the server. */
void api_register_routes(void);

/* The authorize hook of the HTTP server: bearer tokens and roles (auth.c). */
bool api_authorize(struct http_req *req, struct http_resp *resp);
/* The after hook: ends the read transaction a GET began in api_authorize. */
void api_after(struct http_req *req);
/* Before a full-text search: makes the search indexes current (dom_search_sync) and, when that
 * indexed anything, moves the request's read transaction to a snapshot that includes it. */
int api_search_sync(struct http_req *req, struct err *e);

#endif
