/*
 * http.h - requests, responses and route tables of the HTTP layer.
 *
 * Layer: http (used by api/ and channels/; calls core/). The server (server.c) runs
 * libmicrohttpd with a thread pool; for each request it creates a struct http_req with its own
 * arena, matches a route (router.c), enforces the route's body limit (413 before the body is
 * read), collects the body, calls the handler on the worker thread, sends the struct http_resp,
 * writes one access-log line and counts the request in the metrics (metrics.c). Everything a
 * handler allocates from req->arena dies when the request completes; the response body buffer
 * is handed to libmicrohttpd, which frees it.
 */
#ifndef SB_HTTP_H
#define SB_HTTP_H

#include "core/arena.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct http_route;
struct http_resp;

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS 8

/* Body kinds a route accepts; the server answers 415 for another Content-Type. */
enum http_body { HTTP_BODY_NONE, HTTP_BODY_JSON, HTTP_BODY_FORM, HTTP_BODY_MULTIPART };

/* Who may call a route. */
enum http_access { HTTP_PUBLIC, HTTP_VIEWER, HTTP_STAFF, HTTP_ADMIN };

struct http_req {
    struct arena *arena;
    struct MHD_Connection *conn;
    const struct http_route *route;
    const char *method;
    const char *path;
    const char *raw_target; /* the request-target exactly as received (path and query) */
    const char *params[HTTP_MAX_PARAMS]; /* path parameters in pattern order */
    char request_id[24];
    char *body; /* NUL-terminated, in the arena */
    size_t body_len;
    int64_t start_us;
    /* filled by authentication */
    const char *role;
    int64_t principal_id;
    const char *principal_name;
    void *app; /* the application context given to http_server_start */
    /* set by http_suspend: called on the request's thread once http_resume wakes it */
    void (*resume)(struct http_req *req, struct http_resp *resp);
    void *handler_ctx; /* the handler's own state across a suspension */
    bool suspended;
};

struct http_header {
    const char *name, *value;
};

struct http_resp {
    int status;
    const char *content_type;
    struct buf body; /* the whole body, or the first part of a streamed one */
    struct http_header headers[HTTP_MAX_HEADERS];
    int n_headers;
    /* A streamed body: after `body` is sent, stream_next is called (on the connection's thread,
     * while the request and its arena are alive) to append the next part to out; it returns
     * 1 when it appended more, 0 at the end, < 0 on an error (the connection is cut). */
    int (*stream_next)(void *ctx, struct buf *out);
    void *stream_ctx;
};

/* A handler fills resp; its return value is ignored (errors are responses too). */
typedef void (*http_handler_fn)(struct http_req *req, struct http_resp *resp);

struct http_route {
    const char *method;
    const char *pattern; /* "/api/admin/communications/{id}" */
    http_handler_fn handler;
    enum http_access access;
    enum http_body body;
    const long *max_body; /* a configured limit in bytes; NULL = the JSON default */
    const char *name; /* route label for logs and metrics; default = pattern */
};

/* Parks the request without an answer (from its handler): the worker goes on with other
 * connections, and when another thread calls http_resume(req), `then` runs on the request's
 * thread to fill the response. Call it before handing the work to another thread. */
void http_suspend(struct http_req *req,
                  void (*then)(struct http_req *req, struct http_resp *resp));
/* Wakes a suspended request; any thread, once. */
void http_resume(struct http_req *req);

/* Adds a response header (name and value must outlive the request: literals or arena). */
void http_resp_header(struct http_resp *resp, const char *name, const char *value);

/* Query-string / header values of the request (decoded), or NULL. An empty value is NULL. */
const char *http_query(struct http_req *req, const char *name);
const char *http_header(struct http_req *req, const char *name);

/* The client's IP address as text, in the arena. */
const char *http_client_addr(struct http_req *req);

/* ---- router ------------------------------------------------------------------------------- */

/* Matches method and path against the registered tables. Returns the route and fills params,
 * or NULL; *path_known tells whether the path matched with another method, and allow (when
 * non-NULL) gets the comma-separated methods for a 405. */
const struct http_route *http_route_match(const char *method, const char *path,
                                          const char **params, bool *path_known, char *allow,
                                          size_t allow_len, struct arena *a);

/* Registers a NULL-terminated table (pattern == NULL ends it). Call before serving. */
void http_routes_add(const struct http_route *table);

/* Index of a route among all registered routes (for metrics); -1 for none. */
int http_route_index(const struct http_route *r);
int http_route_count(void);
const struct http_route *http_route_at(int i);

/* ---- metrics ------------------------------------------------------------------------------ */

/* Counts a finished request. route_index may be -1 (unmatched). Thread-safe, lock-free. */
void http_metrics_observe(int route_index, int status, int64_t micros);
/* Counts a database error seen by a handler. */
void http_metrics_db_error(void);
/* Writes the Prometheus text exposition. */
void http_metrics_render(struct buf *b);

/* ---- server ------------------------------------------------------------------------------- */

struct http_server_opts {
    const char *host;
    int port; /* 0 = pick a free port */
    unsigned threads;
    unsigned max_connections;
    unsigned idle_timeout, read_timeout; /* seconds */
    size_t max_json_body;
    bool access_log;
    void *app;
    /* Called for every routed request before its handler, to authenticate and authorize; it
     * returns false after filling resp with the refusal. */
    bool (*authorize)(struct http_req *req, struct http_resp *resp);
    /* Called after every routed request's handler (also when authorize refused it), on the
     * same thread: the place to end per-request state such as a read transaction. */
    void (*after)(struct http_req *req);
    /* Fills resp with the JSON error for a status produced by the server itself (404, 405,
     * 413, 415, 500, 503). */
    void (*error)(struct http_resp *resp, int status, const char *code, const char *detail);
    /* Paths under this prefix answer 401 to unauthenticated callers even when no route
     * matches, so the API's shape is not revealed to strangers (NULL = none). */
    const char *protected_prefix;
};

struct http_server;

/* Starts serving; returns NULL (and logs why) on failure. */
struct http_server *http_server_start(const struct http_server_opts *o);
/* The port actually bound. */
int http_server_port(const struct http_server *s);
/* Stops accepting, lets requests in flight finish for up to grace_seconds, then stops. */
void http_server_stop(struct http_server *s, unsigned grace_seconds);

#endif
