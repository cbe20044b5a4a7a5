/*
 * render.c - JSON of conversations, messages, customers and appointments, written in one pass.
 *
 * Layer: api. These writers are the hot path of the list, detail and timeline endpoints: keys
 * are literals, values are escaped straight into the response buffer, stored JSON (metadata,
 * segments, explanations) is copied verbatim. Shapes follow api.md §2-3.
 */
#include "api/api.h"

#include "core/json.h"

static void key(struct buf *b, const char *lit, size_t n)
{
    buf_add(b, lit, n);
}
#define K(b, s) key((b), s, sizeof(s) - 1)

static void score_or_null(struct buf *b, int score)
{
    json_int_or_null(b, score, score == 0);
}

void api_render_conv_item(struct buf *b, const struct conversation *c)
{
    bool cust = c->customer_id != 0;
    K(b, "{\"id\":");
    json_str(b, c->id);
    K(b, ",\"customer_id\":");
    json_int_or_null(b, c->customer_id, !cust);
    K(b, ",\"customer_name\":");
    json_str(b, cust ? c->customer_name : NULL);
    K(b, ",\"customer_phone\":");
    json_str(b, cust ? c->customer_phone : NULL);
    K(b, ",\"channel\":");
    json_str(b, c->channel);
    K(b, ",\"status\":");
    json_str(b, c->status);
    K(b, ",\"initiated_at\":");
    json_ts(b, c->initiated_at);
    K(b, ",\"last_activity_at\":");
    json_ts(b, c->last_activity_at);
    K(b, ",\"completed_at\":");
    json_ts(b, c->completed_at);
    K(b, ",\"satisfaction_score\":");
    score_or_null(b, c->satisfaction_score);
    K(b, ",\"sentiment\":");
    json_str(b, c->sentiment);
    K(b, ",\"outcome\":");
    json_str(b, c->outcome);
    K(b, ",\"subject\":");
    json_str(b, c->subject);
    K(b, ",\"ai_summary\":");
    json_str(b, c->ai_summary);
    K(b, ",\"metadata\":");
    json_raw(b, c->metadata, "{}");
    K(b, ",\"message_count\":");
    json_int(b, c->message_count);
    K(b, ",\"last_message_preview\":");
    json_str(b, c->last_message_preview);
    buf_addc(b, '}');
}

void api_render_timeline_item(struct buf *b, const struct conversation *c)
{
    K(b, "{\"id\":");
    json_str(b, c->id);
    K(b, ",\"channel\":");
    json_str(b, c->channel);
    K(b, ",\"status\":");
    json_str(b, c->status);
    K(b, ",\"initiated_at\":");
    json_ts(b, c->initiated_at);
    K(b, ",\"completed_at\":");
    json_ts(b, c->completed_at);
    K(b, ",\"last_activity_at\":");
    json_ts(b, c->last_activity_at);
    K(b, ",\"subject\":");
    json_str(b, c->subject);
    K(b, ",\"outcome\":");
    json_str(b, c->outcome);
    K(b, ",\"sentiment\":");
    json_str(b, c->sentiment);
    K(b, ",\"satisfaction_score\":");
    score_or_null(b, c->satisfaction_score);
    K(b, ",\"ai_summary\":");
    json_str(b, c->ai_summary);
    K(b, ",\"message_count\":");
    json_int(b, c->message_count);
    K(b, ",\"last_message_preview\":");
    json_str(b, c->last_message_preview);
    buf_addc(b, '}');
}

static void real_or_null(struct buf *b, double v)
{
    if (v < 0)
        buf_lit(b, "null");
    else
        json_double(b, v);
}

static void render_voice(struct buf *b, const struct msg_voice *v)
{
    K(b, ",\"voice\":{\"duration_seconds\":");
    real_or_null(b, v->duration_seconds);
    K(b, ",\"recording_url\":");
    json_str(b, v->recording_url);
    K(b, ",\"transcript_segments\":");
    json_raw(b, v->transcript_segments, "[]");
    K(b, ",\"function_calls\":");
    json_raw(b, v->function_calls, "[]");
    K(b, ",\"interruption_count\":");
    json_int(b, v->interruption_count);
    K(b, ",\"audio_quality_score\":");
    real_or_null(b, v->audio_quality_score);
    buf_addc(b, '}');
}

static void render_sms(struct buf *b, const struct msg_sms *x)
{
    K(b, ",\"sms\":{\"from_number\":");
    json_str(b, x->from_number);
    K(b, ",\"to_number\":");
    json_str(b, x->to_number);
    K(b, ",\"provider_message_id\":");
    json_str(b, x->provider_message_id);
    K(b, ",\"delivery_status\":");
    json_str(b, x->delivery_status);
    K(b, ",\"error_code\":");
    json_str(b, x->error_code);
    K(b, ",\"error_message\":");
    json_str(b, x->error_message);
    K(b, ",\"segments\":");
    json_int(b, x->segments);
    K(b, ",\"media_urls\":");
    json_raw(b, x->media_urls, "[]");
    K(b, ",\"delivered_at\":");
    json_ts(b, x->delivered_at);
    K(b, ",\"failed_at\":");
    json_ts(b, x->failed_at);
    buf_addc(b, '}');
}

static void render_email(struct buf *b, const struct msg_email *x)
{
    K(b, ",\"email\":{\"subject\":");
    json_str(b, x->subject);
    K(b, ",\"from_address\":");
    json_str(b, x->from_address);
    K(b, ",\"to_address\":");
    json_str(b, x->to_address);
    K(b, ",\"cc_addresses\":");
    json_raw(b, x->cc_addresses, "[]");
    K(b, ",\"bcc_addresses\":");
    json_raw(b, x->bcc_addresses, "[]");
    K(b, ",\"in_reply_to\":");
    json_str(b, x->in_reply_to);
    K(b, ",\"references\":");
    json_raw(b, x->references, "[]");
    K(b, ",\"body_text\":");
    json_str(b, x->body_text);
    K(b, ",\"body_html\":");
    json_str(b, x->body_html);
    K(b, ",\"attachments\":");
    json_raw(b, x->attachments, "[]");
    K(b, ",\"provider_message_id\":");
    json_str(b, x->provider_message_id);
    K(b, ",\"delivery_status\":");
    json_str(b, x->delivery_status);
    K(b, ",\"opened_at\":");
    json_ts(b, x->opened_at);
    K(b, ",\"clicked_at\":");
    json_ts(b, x->clicked_at);
    buf_addc(b, '}');
}

void api_render_message(struct buf *b, const struct message *m)
{
    K(b, "{\"id\":");
    json_str(b, m->id);
    K(b, ",\"conversation_id\":");
    json_str(b, m->conversation_id);
    K(b, ",\"direction\":");
    json_str(b, m->direction);
    K(b, ",\"content\":");
    json_str(b, m->content);
    K(b, ",\"sent_at\":");
    json_ts(b, m->sent_at);
    K(b, ",\"processed\":");
    json_bool(b, m->processed);
    K(b, ",\"metadata\":");
    json_raw(b, m->metadata, "{}");
    if (m->voice)
        render_voice(b, m->voice);
    else if (m->sms)
        render_sms(b, m->sms);
    else if (m->email)
        render_email(b, m->email);
    buf_addc(b, '}');
}

void api_render_conv_detail(struct buf *b, const struct detail *d)
{
    const struct conversation *c = &d->conv;
    K(b, "{\"conversation\":{\"id\":");
    json_str(b, c->id);
    K(b, ",\"customer\":");
    if (c->customer_id) {
        K(b, "{\"id\":");
        json_int(b, c->customer_id);
        K(b, ",\"name\":");
        json_str(b, c->customer_name);
        K(b, ",\"phone\":");
        json_str(b, c->customer_phone);
        K(b, ",\"email\":");
        json_str(b, c->customer_email);
        buf_addc(b, '}');
    } else {
        buf_lit(b, "null");
    }
    K(b, ",\"channel\":");
    json_str(b, c->channel);
    K(b, ",\"status\":");
    json_str(b, c->status);
    K(b, ",\"initiated_at\":");
    json_ts(b, c->initiated_at);
    K(b, ",\"last_activity_at\":");
    json_ts(b, c->last_activity_at);
    K(b, ",\"completed_at\":");
    json_ts(b, c->completed_at);
    K(b, ",\"satisfaction_score\":");
    score_or_null(b, c->satisfaction_score);
    K(b, ",\"sentiment\":");
    json_str(b, c->sentiment);
    K(b, ",\"outcome\":");
    json_str(b, c->outcome);
    K(b, ",\"subject\":");
    json_str(b, c->subject);
    K(b, ",\"ai_summary\":");
    json_str(b, c->ai_summary);
    K(b, ",\"metadata\":");
    json_raw(b, c->metadata, "{}");
    K(b, ",\"score_explanation\":");
    json_raw(b, c->score_explanation, "null");
    K(b, ",\"message_count\":");
    json_int(b, c->message_count);
    K(b, "},\"messages\":[");
    for (int i = 0; i < d->n_msgs; i++) {
        if (i)
            buf_addc(b, ',');
        api_render_message(b, &d->msgs[i]);
    }
    K(b, "],\"events\":[");
    for (int i = 0; i < d->n_events; i++) {
        const struct comm_event *ev = &d->events[i];
        if (i)
            buf_addc(b, ',');
        K(b, "{\"id\":");
        json_str(b, ev->id);
        K(b, ",\"event_type\":");
        json_str(b, ev->event_type);
        K(b, ",\"timestamp\":");
        json_ts(b, ev->timestamp);
        K(b, ",\"details\":");
        json_raw(b, ev->details, "{}");
        K(b, ",\"message_id\":");
        json_str(b, ev->message_id);
        buf_addc(b, '}');
    }
    K(b, "]}");
}

void api_render_customer(struct buf *b, const struct customer *c)
{
    K(b, "{\"id\":");
    json_int(b, c->id);
    K(b, ",\"name\":");
    json_str(b, c->name);
    K(b, ",\"phone\":");
    json_str(b, c->phone);
    K(b, ",\"email\":");
    json_str(b, c->email);
    K(b, ",\"is_new_client\":");
    json_bool(b, c->is_new_client);
    K(b, ",\"created_at\":");
    json_ts(b, c->created_at);
    K(b, ",\"conversation_count\":");
    json_int(b, c->conversation_count);
    K(b, ",\"last_contact_at\":");
    json_ts(b, c->last_contact_at);
    buf_addc(b, '}');
}

void api_render_appointment(struct buf *b, const struct appointment *ap)
{
    K(b, "{\"id\":");
    json_int(b, ap->id);
    K(b, ",\"customer_id\":");
    json_int(b, ap->customer_id);
    K(b, ",\"service\":");
    json_str(b, ap->service);
    K(b, ",\"provider\":");
    json_str(b, ap->provider);
    K(b, ",\"status\":");
    json_str(b, ap->status);
    K(b, ",\"starts_at\":");
    json_ts(b, ap->starts_at);
    K(b, ",\"duration_minutes\":");
    json_int(b, ap->duration_minutes);
    K(b, ",\"notes\":");
    json_str(b, ap->notes);
    K(b, ",\"created_at\":");
    json_ts(b, ap->created_at);
    buf_addc(b, '}');
}
