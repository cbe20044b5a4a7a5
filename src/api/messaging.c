/*
 * messaging.c - POST /api/admin/messaging/send and GET /api/admin/messaging/conversations.
 *
 * Layer: api (calls domain/ and channels/outbound). A send: Idempotency-Key check (a repeat of
 * a finished request replays its answer with Idempotent-Replayed: true), then the domain stores
 * the message as queued, then the provider is called and the answer settled on the message.
 * 200 (201 when a conversation was created) with {conversation, message}; 502 with the same
 * plus the error when the provider refused or could not be reached.
 */
#include "api/api.h"

#include "channels/outbound.h"
#include "core/config.h"
#include "core/ids.h"
#include "core/json.h"
#include "domain/domain.h"

#include <string.h>

/* Optional string member; false after a 422 for another type. */
static bool opt_str(struct http_resp *resp, json_t *j, const char *name, const char **out)
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
    if (!**out)
        *out = NULL;
    return true;
}

static bool read_request(struct http_resp *resp, json_t *j, struct dom_send_req *rq)
{
    memset(rq, 0, sizeof *rq);
    if (!opt_str(resp, j, "channel", &rq->channel) || !opt_str(resp, j, "content", &rq->content) ||
        !opt_str(resp, j, "subject", &rq->subject) ||
        !opt_str(resp, j, "conversation_id", &rq->conversation_id) ||
        !opt_str(resp, j, "customer_phone", &rq->customer_phone) ||
        !opt_str(resp, j, "customer_email", &rq->customer_email) ||
        !opt_str(resp, j, "customer_name", &rq->customer_name))
        return false;
    json_t *cid = json_object_get(j, "customer_id");
    if (cid && !json_is_null(cid)) {
        if (!json_is_integer(cid) || json_integer_value(cid) <= 0) {
            api_error(resp, 422, NULL, "customer_id", "customer_id must be a positive integer");
            return false;
        }
        rq->customer_id = json_integer_value(cid);
    }
    rq->from_number = cfg.twilio_from;
    rq->from_email = cfg.email_from;
    rq->idle_minutes = (int)cfg.idle_minutes;
    return true;
}

/* Writes {conversation, message} (and the error members for a 502). */
static void render_result(struct http_req *req, struct http_resp *resp,
                          const struct dom_send_plan *plan, const struct dom_send_outcome *o)
{
    struct store *s = app_store(req);
    struct conversation conv;
    struct message *msgs;
    int n = 0;
    struct err e;
    err_clear(&e);
    if (store_conv_get(s, plan->conv.id, req->arena, &conv, &e) < 0 ||
        store_msgs_for(s, plan->conv.id, req->arena, &msgs, &n, &e) < 0) {
        api_fail(req, resp, &e);
        return;
    }
    const struct message *m = &plan->msg;
    for (int i = 0; i < n; i++)
        if (strcmp(msgs[i].id, plan->msg.id) == 0)
            m = &msgs[i];
    struct buf *b = &resp->body;
    buf_clear(b);
    buf_lit(b, "{\"conversation\":");
    api_render_conv_item(b, &conv);
    buf_lit(b, ",\"message\":");
    api_render_message(b, m);
    if (!o->ok) {
        resp->status = 502;
        buf_lit(b, ",\"detail\":");
        json_str(b, o->error_message ? o->error_message : "the provider refused the message");
        buf_lit(b, ",\"code\":\"provider_error\",\"field\":null,\"provider_error_code\":");
        json_str(b, o->error_code);
    } else {
        resp->status = plan->created_conversation ? 201 : 200;
    }
    buf_addc(b, '}');
}

static void send_message(struct http_req *req, struct http_resp *resp)
{
    json_t *j = api_json_body(req, resp);
    struct dom_send_req rq;
    if (!j || !read_request(resp, j, &rq))
        return;
    struct store *s = app_store(req);
    struct err e;
    err_clear(&e);
    const char *key = http_header(req, "Idempotency-Key");
    if (key) {
        char hash[65];
        sha256_hex(req->body, req->body_len, hash);
        enum dom_idem state;
        int status;
        const char *stored;
        if (dom_idem_claim(s, key, hash, req->arena, &state, &status, &stored, &e) < 0) {
            api_fail(req, resp, &e);
            return;
        }
        if (state == DOM_IDEM_REPLAY) {
            resp->status = status;
            buf_adds(&resp->body, stored ? stored : "{}");
            http_resp_header(resp, "Idempotent-Replayed", "true");
            return;
        }
        if (state == DOM_IDEM_MISMATCH) {
            api_error(resp, 422, NULL, "Idempotency-Key",
                      "this Idempotency-Key was used with a different request");
            return;
        }
        if (state == DOM_IDEM_IN_FLIGHT) {
            api_error(resp, 409, NULL, "Idempotency-Key",
                      "a request with this Idempotency-Key is still being processed");
            return;
        }
    }
    struct dom_send_plan plan;
    struct dom_send_outcome o;
    if (dom_send_prepare(s, &rq, req->arena, &plan, &e) < 0 ||
        outbound_send(s, &plan, ((struct app *)req->app)->public_url, req->arena, &o, &e) < 0) {
        if (key)
            dom_idem_release(s, key);
        api_fail(req, resp, &e);
        return;
    }
    render_result(req, resp, &plan, &o);
    if (key && dom_idem_finish(s, key, resp->status, resp->body.data, &e) < 0)
        dom_idem_release(s, key);
}

static bool is_messaging_channel(const char *c)
{
    return strcmp(c, "sms") == 0 || strcmp(c, "email") == 0;
}

static void conversations(struct http_req *req, struct http_resp *resp)
{
    const char *ch;
    if (!api_query_enum(req, resp, "channel", is_messaging_channel, &ch))
        return;
    struct conv_filter f;
    int64_t page, page_size;
    if (!api_conv_filter_parse(req, resp, &f, &page, &page_size))
        return;
    f.messaging_only = true;
    api_conv_list_reply(req, resp, &f, page, page_size);
}

const struct http_route api_messaging_routes[] = {
    {"POST", "/api/admin/messaging/send", send_message, HTTP_STAFF, HTTP_BODY_JSON, NULL, NULL},
    {"GET", "/api/admin/messaging/conversations", conversations, HTTP_VIEWER, HTTP_BODY_NONE, NULL,
     NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};
