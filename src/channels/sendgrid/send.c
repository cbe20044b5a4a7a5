/*
 * send.c - SendGrid v3 Mail Send (providers.md §7).
 *
 * Layer: channels/sendgrid. The body is built with jansson (it escapes everything), posted with
 * the API key as a bearer token; 202 Accepted with X-Message-Id is success. Replies carry
 * In-Reply-To/References and a Reply-To token so the customer's answer threads back (§9).
 */
#include "channels/sendgrid/sendgrid.h"

#include "channels/provider.h"
#include "core/config.h"
#include "core/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *address(const char *email, const char *name)
{
    json_t *o = json_object();
    json_object_set_new(o, "email", json_string(email));
    if (name && *name)
        json_object_set_new(o, "name", json_string(name));
    return o;
}

int sendgrid_send(const struct sendgrid_mail *m, struct arena *a, struct sendgrid_send_result *out)
{
    memset(out, 0, sizeof *out);
    if (!cfg.sendgrid_api_key || !cfg.email_from) {
        out->error_message = "SendGrid is not configured (API key, from address)";
        return ERR_UNAVAILABLE;
    }
    json_t *root = json_object();
    json_t *pers = json_object();
    json_t *to = json_array();
    json_array_append_new(to, address(m->to, m->to_name));
    json_object_set_new(pers, "to", to);
    if (m->conversation_id) {
        json_t *args = json_object();
        json_object_set_new(args, "conversation_id", json_string(m->conversation_id));
        json_object_set_new(pers, "custom_args", args);
    }
    json_t *plist = json_array();
    json_array_append_new(plist, pers);
    json_object_set_new(root, "personalizations", plist);
    json_object_set_new(root, "from", address(cfg.email_from, NULL));
    if (m->reply_to)
        json_object_set_new(root, "reply_to", address(m->reply_to, NULL));
    json_object_set_new(root, "subject", json_string(m->subject));
    json_t *content = json_array();
    json_t *plain = json_object();
    json_object_set_new(plain, "type", json_string("text/plain"));
    json_object_set_new(plain, "value", json_string(m->text));
    json_array_append_new(content, plain);
    json_object_set_new(root, "content", content);
    if (m->in_reply_to || m->references) {
        json_t *h = json_object();
        if (m->in_reply_to)
            json_object_set_new(h, "In-Reply-To", json_string(m->in_reply_to));
        if (m->references)
            json_object_set_new(h, "References", json_string(m->references));
        json_object_set_new(root, "headers", h);
    }
    char *body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!body) {
        out->error_message = "cannot encode the mail (invalid UTF-8?)";
        return ERR_INVALID;
    }
    struct provider_request rq = {.url = arena_printf(a, "%s/v3/mail/send", cfg.sendgrid_api_base),
                                  .content_type = "application/json",
                                  .body = body,
                                  .body_len = strlen(body),
                                  .bearer = cfg.sendgrid_api_key};
    struct provider_response resp;
    int rc = provider_post(&rq, a, &resp);
    free(body);
    out->http_status = resp.status;
    if (rc < 0) {
        out->error_message = arena_printf(a, "SendGrid unreachable: %s", resp.error);
        return rc;
    }
    if (resp.status == 202 || resp.status == 200) {
        out->ok = true;
        out->message_id = resp.message_id;
        return 0;
    }
    json_t *j = json_loads(resp.body, 0, NULL);
    const char *msg = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
    out->error_message = arena_printf(a, "SendGrid answered %ld: %s", resp.status,
                                      msg ? msg : "no error message");
    json_decref(j);
    return 0;
}
