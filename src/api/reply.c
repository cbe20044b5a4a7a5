/*
 * reply.c - every error answer of the API, in one shape: {"detail","code","field"}.
 *
 * Layer: api. The mapping from core/err.h codes to HTTP statuses lives here and nowhere else.
 * Internal errors are logged with the request id and answered with that id, never with the
 * driver's text.
 */
#include "api/api.h"

#include "core/json.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *code_for(int status)
{
    switch (status) {
    case 400:
    case 422: return "invalid_argument";
    case 401: return "unauthenticated";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 429: return "rate_limited";
    case 503: return "unavailable";
    default: return "internal";
    }
}

static void write_error(struct http_resp *resp, int status, const char *code, const char *field,
                        const char *detail, const char *request_id)
{
    resp->status = status;
    resp->content_type = "application/json";
    buf_clear(&resp->body);
    buf_lit(&resp->body, "{\"detail\":");
    json_str(&resp->body, detail);
    buf_lit(&resp->body, ",\"code\":");
    json_str(&resp->body, code ? code : code_for(status));
    buf_lit(&resp->body, ",\"field\":");
    json_str(&resp->body, field);
    if (request_id) {
        buf_lit(&resp->body, ",\"request_id\":");
        json_str(&resp->body, request_id);
    }
    buf_addc(&resp->body, '}');
    if (status == 401)
        http_resp_header(resp, "WWW-Authenticate", "Bearer");
}

void api_error(struct http_resp *resp, int status, const char *code, const char *field,
               const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    write_error(resp, status, code, field, detail, NULL);
}

void api_server_error(struct http_resp *resp, int status, const char *code, const char *detail)
{
    write_error(resp, status, code, NULL, detail, NULL);
}

void api_fail(struct http_req *req, struct http_resp *resp, const struct err *e)
{
    switch (e->code) {
    case ERR_INVALID:
        write_error(resp, 422, NULL, e->field, e->msg, NULL);
        return;
    case ERR_NOTFOUND:
        write_error(resp, 404, NULL, NULL, e->msg[0] ? e->msg : "not found", NULL);
        return;
    case ERR_CONFLICT:
        write_error(resp, 409, NULL, e->field, e->msg, NULL);
        return;
    case ERR_TOOBIG:
        write_error(resp, 413, NULL, e->field, e->msg, NULL);
        return;
    case ERR_UNAVAILABLE:
        write_error(resp, 503, NULL, NULL, e->msg, NULL);
        return;
    case ERR_AGAIN:
    case ERR_BACKEND:
    case ERR_IO:
        http_metrics_db_error();
        log_error("api", "database error: %s", e->msg);
        write_error(resp, e->code == ERR_AGAIN ? 503 : 500, NULL, NULL,
                    e->code == ERR_AGAIN ? "the database is busy; retry" : "internal error",
                    req->request_id);
        return;
    default:
        log_error("api", "internal error (%s): %s", err_name(e->code), e->msg);
        write_error(resp, 500, NULL, NULL, "internal error", req->request_id);
    }
}
