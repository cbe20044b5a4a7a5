/*
 * server.c - libmicrohttpd glue: threads, per-request arenas, body limits, dispatch, shutdown.
 *
 * Layer: http. MHD runs a poll() thread pool (one event loop per thread); a handler runs on the
 * thread that owns its connection, so handlers may block briefly on the database but never on a
 * provider without a bound (channels/ use timeouts). Per request: the first callback (headers
 * complete) creates the context and its arena, matches the route and checks the declared body
 * size; further callbacks append the body (bounded); the last one authorizes, calls the handler
 * and queues the response. A body over the limit is drained without being kept (up to a hard
 * cap, after which the connection is closed) and answered 413, so clients that send the whole
 * body before reading still see the answer. on_completed frees the arena, logs and counts.
 *
 * Timeouts: a connection starts with the read timeout (headers and body must arrive within it);
 * once a response is sent the connection is idle and gets the idle timeout until its next
 * request starts.
 *
 * Shutdown: http_server_stop() quiesces the listening socket (no new connections), waits for the
 * in-flight count to reach zero or the grace period to pass, then stops MHD. The pool polls with
 * poll(), not epoll: with epoll, MHD_quiesce_daemon (libmicrohttpd 0.9.75) removes the listening
 * socket from each worker's epoll set while a worker that woke for traffic may remove it too, and
 * the loser aborts the process ("Failed to remove listen FD from epoll set"), now and then, on a
 * SIGTERM that arrives during a request. poll() measured the same for SMS ingest and list reads
 * at 64 connections (within 2%).
 */
#include "http/http.h"

#include "core/log.h"
#include "core/timeutil.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DRAIN_CAP ((size_t)64 << 20) /* bytes of an oversized body we read before closing */

struct http_server {
    struct MHD_Daemon *mhd;
    struct http_server_opts o;
    int port;
    _Atomic int inflight;
    _Atomic uint64_t next_id;
    char id_prefix[9];
};

struct reqctx {
    struct http_req req;
    struct http_resp resp;
    struct http_server *srv;
    struct buf body;
    size_t limit;
    size_t drained;
    int reject_status; /* 0, or the error status decided before the body was read */
    const char *reject_code, *reject_detail;
    char allow[96];
    struct buf stream; /* the part of a streamed body being sent */
    size_t stream_off;
    bool stream_done;
    bool started;
    bool queued;
};

void http_suspend(struct http_req *req,
                  void (*then)(struct http_req *req, struct http_resp *resp))
{
    req->resume = then;
    req->suspended = true;
    MHD_suspend_connection(req->conn);
}

void http_resume(struct http_req *req)
{
    MHD_resume_connection(req->conn);
}

void http_resp_header(struct http_resp *resp, const char *name, const char *value)
{
    if (resp->n_headers < HTTP_MAX_HEADERS) {
        resp->headers[resp->n_headers].name = name;
        resp->headers[resp->n_headers].value = value;
        resp->n_headers++;
    }
}

const char *http_query(struct http_req *req, const char *name)
{
    const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

const char *http_header(struct http_req *req, const char *name)
{
    const char *v = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
    return v && *v ? v : NULL;
}

const char *http_client_addr(struct http_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char tmp[INET6_ADDRSTRLEN] = "unknown";
    if (ci && ci->client_addr) {
        if (ci->client_addr->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, tmp,
                      sizeof tmp);
        else if (ci->client_addr->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, tmp,
                      sizeof tmp);
    }
    return arena_strdup(req->arena, tmp);
}

static void reject(struct reqctx *rc, int status, const char *code, const char *detail)
{
    if (!rc->reject_status) {
        rc->reject_status = status;
        rc->reject_code = code;
        rc->reject_detail = detail;
    }
}

/* Is the request's Content-Type acceptable for the route's body kind? */
static bool content_type_ok(struct http_req *req, enum http_body kind)
{
    const char *ct = http_header(req, "Content-Type");
    switch (kind) {
    case HTTP_BODY_NONE:
        return true;
    case HTTP_BODY_JSON:
        return ct && strncasecmp(ct, "application/json", 16) == 0;
    case HTTP_BODY_FORM:
        return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
    case HTTP_BODY_MULTIPART:
        return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
    }
    return false;
}

static bool has_body(struct http_req *req)
{
    const char *cl = http_header(req, "Content-Length");
    return (cl && strcmp(cl, "0") != 0) || http_header(req, "Transfer-Encoding");
}

/* Called by MHD with the raw request-target before anything else: the context starts here so
 * the target is kept exactly as received (Twilio signs it). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct reqctx *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    rc->req.arena = arena_new(8192, 0);
    if (!rc->req.arena) {
        free(rc);
        return NULL;
    }
    rc->req.raw_target = arena_strdup(rc->req.arena, uri);
    /* a request line arrived: the rest of the request must follow within the read timeout
     * (an idle keep-alive connection had the longer idle timeout until now) */
    struct http_server *srv = cls;
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, srv->o.read_timeout);
    return rc;
}

static struct reqctx *ctx_start(struct reqctx *rc, struct http_server *srv,
                                struct MHD_Connection *conn, const char *url,
                                const char *method)
{
    rc->started = true;
    rc->srv = srv;
    rc->req.conn = conn;
    rc->req.app = srv->o.app;
    rc->req.start_us = time_mono_us();
    rc->req.method = arena_strdup(rc->req.arena, method);
    rc->req.path = arena_strdup(rc->req.arena, url);
    snprintf(rc->req.request_id, sizeof rc->req.request_id, "%s-%010llu", srv->id_prefix,
             (unsigned long long)atomic_fetch_add(&srv->next_id, 1));
    rc->resp.status = 200;
    rc->resp.content_type = "application/json";
    buf_init(&rc->resp.body, 0, (size_t)256 << 20);
    atomic_fetch_add(&srv->inflight, 1);

    bool known = false;
    rc->req.route = http_route_match(method, url, rc->req.params, &known, rc->allow,
                                     sizeof rc->allow, rc->req.arena);
    const struct http_route *r = rc->req.route;
    if (!r) {
        if (known)
            reject(rc, 405, "method_not_allowed", "method not allowed on this path");
        else
            reject(rc, 404, "not_found", "no such endpoint");
        rc->limit = 0;
        return rc;
    }
    rc->limit = r->max_body ? (size_t)*r->max_body : srv->o.max_json_body;
    const char *cl = http_header(&rc->req, "Content-Length");
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (*end || n > rc->limit)
            reject(rc, 413, "payload_too_large", "request body is larger than this endpoint "
                                                 "accepts");
    }
    if (r->body != HTTP_BODY_NONE && has_body(&rc->req) && !content_type_ok(&rc->req, r->body))
        reject(rc, 415, "unsupported_media_type",
               r->body == HTTP_BODY_JSON ? "Content-Type must be application/json"
               : r->body == HTTP_BODY_FORM
                   ? "Content-Type must be application/x-www-form-urlencoded"
                   : "Content-Type must be multipart/form-data");
    buf_init(&rc->body, 0, rc->limit);
    return rc;
}

static void free_body(void *p)
{
    free(p);
}

/* MHD's reader for streamed bodies: hands out `stream`, refilling it from stream_next. */
static ssize_t on_stream(void *cls, uint64_t pos, char *out, size_t max)
{
    struct reqctx *rc = cls;
    while (rc->stream_off == rc->stream.len) {
        if (rc->stream_done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        buf_clear(&rc->stream);
        rc->stream_off = 0;
        int more = rc->resp.stream_next(rc->resp.stream_ctx, &rc->stream);
        if (more < 0 || !buf_ok(&rc->stream))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (more == 0)
            rc->stream_done = true;
    }
    size_t n = rc->stream.len - rc->stream_off;
    if (n > max)
        n = max;
    memcpy(out, rc->stream.data + rc->stream_off, n);
    rc->stream_off += n;
    return (ssize_t)n;
}

static enum MHD_Result send_resp(struct reqctx *rc)
{
    struct http_resp *resp = &rc->resp;
    struct MHD_Response *r;
    if (resp->stream_next && resp->status < 300) {
        /* the handler's body goes first, then the parts stream_next produces */
        buf_release(&rc->stream);
        rc->stream = resp->body;
        buf_init(&resp->body, 0, 0);
        rc->stream.max = (size_t)16 << 20;
        rc->stream_off = 0;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, on_stream, rc, NULL);
    } else {
        size_t len = 0;
        char *data = buf_take(&resp->body, &len);
        if (!data) { /* the response outgrew its bound: say so instead */
            resp->status = 500;
            buf_init(&resp->body, 0, 0);
            rc->srv->o.error(resp, 500, "internal", "response too large");
            data = buf_take(&resp->body, &len);
            if (!data)
                return MHD_NO;
        }
        r = MHD_create_response_from_buffer_with_free_callback(len, data, free_body);
        if (!r)
            free(data);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", resp->content_type);
    MHD_add_response_header(r, "X-Request-Id", rc->req.request_id);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    for (int i = 0; i < resp->n_headers; i++)
        MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    if (resp->status == 413 || rc->drained > DRAIN_CAP)
        MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(rc->req.conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    rc->queued = true;
    return ret;
}

static void fill_reject(struct reqctx *rc)
{
    rc->resp.status = rc->reject_status;
    buf_clear(&rc->resp.body);
    rc->srv->o.error(&rc->resp, rc->reject_status, rc->reject_code, rc->reject_detail);
    if (rc->reject_status == 405 && rc->allow[0])
        http_resp_header(&rc->resp, "Allow", rc->allow);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *srv = cls;
    struct reqctx *rc = *con_cls;
    if (!rc)
        return MHD_NO; /* on_uri could not allocate */
    if (!rc->started) {
        ctx_start(rc, srv, conn, url, method);
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, srv->o.read_timeout);
        return MHD_YES;
    }
    if (rc->queued) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rc->req.suspended) { /* woken by http_resume: finish the answer */
        rc->req.suspended = false;
        log_set_request(rc->req.request_id);
        rc->req.resume(&rc->req, &rc->resp);
        enum MHD_Result sent = send_resp(rc);
        log_set_request(NULL);
        return sent;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rc->reject_status) {
            rc->drained += n;
            if (rc->drained > DRAIN_CAP) {
                fill_reject(rc);
                return send_resp(rc);
            }
            return MHD_YES;
        }
        buf_add(&rc->body, upload_data, n);
        if (!buf_ok(&rc->body)) {
            reject(rc, 413, "payload_too_large", "request body is larger than this endpoint "
                                                 "accepts");
            rc->drained = rc->body.len + n;
            buf_release(&rc->body);
        }
        return MHD_YES;
    }
    /* The whole request is in. */
    log_set_request(rc->req.request_id);
    if ((rc->reject_status == 404 || rc->reject_status == 405) && srv->o.protected_prefix &&
        srv->o.authorize &&
        strncmp(rc->req.path, srv->o.protected_prefix, strlen(srv->o.protected_prefix)) == 0) {
        static const struct http_route guard = {"GET", "", NULL, HTTP_VIEWER, HTTP_BODY_NONE,
                                                0, "protected"};
        rc->req.route = &guard;
        bool ok = srv->o.authorize(&rc->req, &rc->resp);
        if (srv->o.after)
            srv->o.after(&rc->req);
        rc->req.route = NULL;
        if (!ok) {
            enum MHD_Result sent = send_resp(rc);
            log_set_request(NULL);
            return sent;
        }
    }
    if (rc->reject_status) {
        fill_reject(rc);
    } else {
        rc->req.body = rc->body.data ? rc->body.data : "";
        rc->req.body_len = rc->body.len;
        if (rc->body.data && arena_on_free(rc->req.arena, free, rc->body.data) < 0) {
            buf_release(&rc->body);
            rc->req.body = "";
            rc->req.body_len = 0;
        }
        rc->body.data = NULL;
        if (!srv->o.authorize || srv->o.authorize(&rc->req, &rc->resp))
            rc->req.route->handler(&rc->req, &rc->resp);
        if (srv->o.after)
            srv->o.after(&rc->req);
        if (rc->req.suspended) { /* answered later, from http_resume */
            log_set_request(NULL);
            return MHD_YES;
        }
    }
    enum MHD_Result ret = send_resp(rc);
    log_set_request(NULL);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct reqctx *rc = *con_cls;
    if (!rc)
        return;
    *con_cls = NULL;
    if (!rc->started) { /* the connection ended before the headers were complete */
        arena_free(rc->req.arena);
        free(rc);
        return;
    }
    int64_t us = time_mono_us() - rc->req.start_us;
    int status = rc->queued ? rc->resp.status : 499;
    const struct http_route *r = rc->req.route;
    http_metrics_observe(r ? http_route_index(r) : -1, status, us);
    if (srv->o.access_log)
        log_write(LOG_INFO, "access", "%s %s %s %d %lldus%s", rc->req.request_id, rc->req.method,
                  r ? (r->name ? r->name : r->pattern) : rc->req.path, status, (long long)us,
                  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended)");
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) /* now idle until the next request */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, srv->o.idle_timeout);
    buf_release(&rc->body);
    buf_release(&rc->resp.body);
    buf_release(&rc->stream);
    arena_free(rc->req.arena);
    free(rc);
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("http", "%s", line);
}

struct http_server *http_server_start(const struct http_server_opts *o)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->o = *o;
    unsigned char rnd[4];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(rnd, 1, 4, f) != 4)
        memset(rnd, 0x5a, 4);
    if (f)
        fclose(f);
    snprintf(s->id_prefix, sizeof s->id_prefix, "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3]);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, strcmp(o->host, "localhost") == 0 ? "127.0.0.1" : o->host,
                  &addr.sin_addr) != 1) {
        log_error("http", "cannot listen on '%s': not an IPv4 address", o->host);
        free(s);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    s->mhd = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_THREAD_POOL_SIZE, o->threads, MHD_OPTION_CONNECTION_LIMIT,
        o->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, o->read_timeout,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_END);
    if (!s->mhd) {
        log_error("http", "cannot listen on %s:%d (address in use or not permitted)", o->host,
                  o->port);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    return s;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_stop(struct http_server *s, unsigned grace_seconds)
{
    if (!s)
        return;
    MHD_socket ls = MHD_quiesce_daemon(s->mhd);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    int64_t deadline = time_mono_us() + (int64_t)grace_seconds * TIME_US_PER_SEC;
    while (atomic_load(&s->inflight) > 0 && time_mono_us() < deadline)
        usleep(10000);
    int left = atomic_load(&s->inflight);
    if (left > 0)
        log_warn("http", "grace period over with %d request(s) in flight", left);
    MHD_stop_daemon(s->mhd);
    free(s);
}
