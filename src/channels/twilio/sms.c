/*
 * sms.c - POST /api/webhooks/twilio/sms: the inbound SMS/MMS webhook (providers.md §1-2).
 *
 * Layer: channels/twilio. Order of checks: a configured auth token (503 without one unless the
 * insecure development flag is set), a decodable form (400), a valid signature over the public
 * URL + raw target + every pair (403, nothing stored), the required fields (422 naming them).
 * The message is stored and threaded by the domain layer in one transaction; only then does
 * Twilio get its TwiML. Duplicates get the same TwiML and store nothing.
 */
#include "channels/twilio/twilio.h"

#include "api/api.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/phone.h"
#include "domain/domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS 256
#define MAX_MEDIA 10

static const char TWIML_EMPTY[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/* Decodes and authenticates a Twilio form post. false after writing the refusal. */
static bool verified_form(struct http_req *req, struct http_resp *resp, struct form *f)
{
    const char *token = cfg.twilio_auth_token;
    if ((!token || !*token) && !cfg.insecure_dev) {
        api_error(resp, 503, NULL, NULL, "Twilio webhooks are disabled: "
                                         "SWITCHBOARD_TWILIO_AUTH_TOKEN is not configured");
        return false;
    }
    if (form_decode(req->body, req->body_len, MAX_PAIRS, req->arena, f) < 0) {
        api_error(resp, 400, NULL, NULL, "the form body is malformed");
        return false;
    }
    if (token && *token) {
        const char *base = ((struct app *)req->app)->public_url;
        char *url = arena_printf(req->arena, "%s%s", base, req->raw_target);
        if (!url || !twilio_signature_valid(token, url, f, http_header(req, "X-Twilio-Signature"))) {
            log_warn("twilio", "refused a webhook with a missing or wrong signature on '%s'",
                     req->path);
            api_error(resp, 403, NULL, "X-Twilio-Signature",
                      "the X-Twilio-Signature header is missing or does not match");
            return false;
        }
    }
    return true;
}

/* The media URLs (JSON array, in index order) and the metadata object of the message. */
static void build_media_and_meta(struct http_req *req, const struct form *f, const char **media,
                                 const char **meta)
{
    struct buf m, md;
    buf_init(&m, 64, 64 * 1024);
    buf_init(&md, 256, 64 * 1024);
    buf_addc(&m, '[');
    buf_lit(&md, "{\"provider\":\"twilio\"");
    long num = 0;
    const char *nm = form_get(f, "NumMedia");
    if (nm)
        num = strtol(nm, NULL, 10);
    if (num < 0)
        num = 0;
    if (num > MAX_MEDIA)
        num = MAX_MEDIA;
    buf_lit(&md, ",\"media_content_types\":[");
    for (long i = 0, k = 0; i < num; i++) {
        char key[48];
        snprintf(key, sizeof key, "MediaUrl%ld", i);
        const char *u = form_get(f, key);
        snprintf(key, sizeof key, "MediaContentType%ld", i);
        const char *ct = form_get(f, key);
        if (!u)
            continue;
        if (k++) {
            buf_addc(&m, ',');
            buf_addc(&md, ',');
        }
        json_str(&m, u);
        json_str(&md, ct);
    }
    buf_addc(&m, ']');
    buf_addc(&md, ']');
    static const char *const KEPT[] = {"AccountSid", "MessagingServiceSid", "FromCity",
                                       "FromState", "FromZip", "FromCountry", "OptOutType",
                                       "ApiVersion"};
    for (size_t i = 0; i < sizeof KEPT / sizeof KEPT[0]; i++) {
        const char *v = form_get(f, KEPT[i]);
        if (v && *v) {
            buf_printf(&md, ",\"%s\":", KEPT[i]);
            json_str(&md, v);
        }
    }
    buf_addc(&md, '}');
    *media = buf_ok(&m) ? arena_strdup(req->arena, m.data) : "[]";
    *meta = buf_ok(&md) ? arena_strdup(req->arena, md.data) : NULL;
    buf_release(&m);
    buf_release(&md);
}

static void twiml(struct http_resp *resp)
{
    resp->status = 200;
    resp->content_type = "text/xml; charset=utf-8";
    buf_clear(&resp->body);
    buf_lit(&resp->body, TWIML_EMPTY);
}

/* An inbound SMS between its handler and its commit. */
struct pending {
    struct http_req *req;
    struct dom_sms_in in;
    struct dom_sms_result r;
    struct err e;
    int rc;
};

/* Writer thread: the message is committed (or failed); wake the request. */
static void committed(void *ctx, int rc)
{
    struct pending *p = ctx;
    p->rc = rc;
    http_resume(p->req);
}

/* The request's thread again: answer. */
static void inbound_done(struct http_req *req, struct http_resp *resp)
{
    struct pending *p = req->handler_ctx;
    if (p->rc == ERR_CONFLICT) { /* lost a race with the same sid from another process */
        err_clear(&p->e);
        p->rc = dom_sms_receive(app_store(req), &p->in, req->arena, &p->r, &p->e);
    }
    if (p->rc < 0) {
        if (p->e.code == ERR_AGAIN)
            p->e.code = ERR_UNAVAILABLE;
        api_fail(req, resp, &p->e);
        return;
    }
    if (p->r.duplicate)
        log_info("twilio", "duplicate MessageSid '%s' acknowledged, nothing stored", p->in.sid);
    twiml(resp);
}

static void inbound(struct http_req *req, struct http_resp *resp)
{
    struct form f;
    if (!verified_form(req, resp, &f))
        return;
    const char *sid = form_get(&f, "MessageSid");
    if (!sid)
        sid = form_get(&f, "SmsMessageSid");
    const char *from = form_get(&f, "From");
    const char *body = form_get(&f, "Body");
    if (!sid || !*sid) {
        api_error(resp, 422, NULL, "MessageSid", "MessageSid is required");
        return;
    }
    if (!from || !*from) {
        api_error(resp, 422, NULL, "From", "From is required");
        return;
    }
    char e164[PHONE_E164_MAX];
    if (!phone_is_e164(from)) {
        if (!phone_to_e164(from, e164)) {
            api_error(resp, 422, NULL, "From", "From is not an E.164 phone number");
            return;
        }
        from = arena_strdup(req->arena, e164);
    }
    if (body && !json_utf8_valid(body, strlen(body))) {
        api_error(resp, 422, NULL, "Body", "Body is not valid UTF-8");
        return;
    }
    struct pending *p = arena_calloc(req->arena, sizeof *p);
    if (!p) {
        api_error(resp, 500, NULL, NULL, "out of memory");
        return;
    }
    struct dom_sms_in *in = &p->in;
    in->sid = sid;
    in->from = from;
    in->to = form_get(&f, "To");
    in->body = body ? body : "";
    const char *seg = form_get(&f, "NumSegments");
    in->segments = seg ? atoi(seg) : 1;
    in->idle_minutes = (int)cfg.idle_minutes;
    build_media_and_meta(req, &f, &in->media_urls, &in->metadata);
    p->req = req;
    req->handler_ctx = p;
    /* the worker serves other connections while the writer commits this one (in a batch) */
    http_suspend(req, inbound_done);
    if (dom_sms_receive_async(app_store(req), in, req->arena, &p->r, &p->e, committed, p) < 0)
        committed(p, p->e.code);
}

/* POST /api/webhooks/twilio/status: delivery status of a message we sent. */
static void status_callback(struct http_req *req, struct http_resp *resp)
{
    struct form f;
    if (!verified_form(req, resp, &f))
        return;
    const char *sid = form_get(&f, "MessageSid");
    if (!sid)
        sid = form_get(&f, "SmsSid");
    const char *status = form_get(&f, "MessageStatus");
    if (!status)
        status = form_get(&f, "SmsStatus");
    const char *code = form_get(&f, "ErrorCode");
    bool known = false;
    struct err e;
    err_clear(&e);
    int rc = dom_sms_status(app_store(req), sid, status, code && *code ? code : NULL, 0,
                            req->arena, &known, &e);
    if (rc == ERR_INVALID && e.field && strcmp(e.field, "MessageStatus") == 0) {
        log_warn("twilio", "status callback for '%s' with an unknown status '%s': ignored",
                 sid ? sid : "", status ? status : "");
        rc = 0;
    }
    if (rc < 0) {
        if (e.code == ERR_AGAIN)
            e.code = ERR_UNAVAILABLE;
        api_fail(req, resp, &e);
        return;
    }
    if (!known)
        log_info("twilio", "status callback for unknown MessageSid '%s' (%s): acknowledged", sid,
                 status);
    twiml(resp);
}

const struct http_route twilio_routes[] = {
    {"POST", "/api/webhooks/twilio/status", status_callback, HTTP_PUBLIC, HTTP_BODY_FORM,
     &cfg.max_sms_body, "/api/webhooks/twilio/status"},
    {"POST", "/api/webhooks/twilio/sms", inbound, HTTP_PUBLIC, HTTP_BODY_FORM,
     &cfg.max_sms_body,
     "/api/webhooks/twilio/sms"},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};
