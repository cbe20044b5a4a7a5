/*
 * analytics.c - /api/admin/metrics/overview and the /api/admin/analytics endpoints (api.md §4).
 *
 * Layer: api. Every endpoint takes period (today|week|month|custom), start_date/end_date for
 * custom, and tz (default SWITCHBOARD_TZ); insight/analytics does the counting in one scan.
 * Rates are fractions 0..1 rounded to 4 places; averages are null when nothing was scored.
 */
#include "api/api.h"

#include "core/config.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "insight/analytics.h"

#include <string.h>

/* Parses the period parameters; false after a 422. */
static bool range_of(struct http_req *req, struct http_resp *resp, struct analytics_range *r)
{
    const char *tz = http_query(req, "tz");
    struct err e;
    err_clear(&e);
    if (analytics_range_parse(http_query(req, "period"), http_query(req, "start_date"),
                              http_query(req, "end_date"), tz ? tz : cfg.tz, time_now_us(), r,
                              &e) < 0) {
        api_fail(req, resp, &e);
        return false;
    }
    return true;
}

static bool compute(struct http_req *req, struct http_resp *resp, struct analytics_range *r,
                    unsigned want, struct analytics *an)
{
    if (!range_of(req, resp, r))
        return false;
    struct err e;
    err_clear(&e);
    if (analytics_compute(app_store(req), r, want, req->arena, an, &e) < 0) {
        api_fail(req, resp, &e);
        return false;
    }
    return true;
}

static void avg(struct buf *b, int64_t sum, int64_t n)
{
    if (n)
        json_double(b, (double)sum / (double)n);
    else
        buf_lit(b, "null");
}

static double ratio(int64_t a, int64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static void counts_object(struct buf *b, const char *const *names, const int64_t *v, int n)
{
    buf_addc(b, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_addc(b, ',');
        json_str(b, names[i]);
        buf_addc(b, ':');
        json_int(b, v[i]);
    }
    buf_addc(b, '}');
}

static void overview(struct http_req *req, struct http_resp *resp)
{
    struct analytics_range r;
    struct analytics an;
    if (!compute(req, resp, &r, AN_WANT_MESSAGES | AN_WANT_VOICE, &an))
        return;
    struct buf *b = &resp->body;
    buf_lit(b, "{\"period\":");
    json_str(b, r.period);
    buf_lit(b, ",\"timezone\":");
    json_str(b, r.tz);
    buf_lit(b, ",\"start_date\":");
    json_str(b, r.start_date);
    buf_lit(b, ",\"end_date\":");
    json_str(b, r.end_date);
    buf_lit(b, ",\"total_conversations\":");
    json_int(b, an.total);
    buf_lit(b, ",\"appointments_booked\":");
    json_int(b, an.booked);
    buf_lit(b, ",\"conversion_rate\":");
    json_double(b, ratio(an.booked, an.total));
    buf_lit(b, ",\"avg_satisfaction_score\":");
    avg(b, an.score_sum, an.score_n);
    buf_lit(b, ",\"customers_engaged\":");
    json_int(b, an.customers_engaged);
    buf_lit(b, ",\"total_messages_sent\":");
    json_int(b, an.messages_sent);
    buf_lit(b, ",\"total_talk_time_minutes\":");
    json_double(b, an.talk_seconds / 60.0);
    buf_lit(b, ",\"avg_call_duration_minutes\":");
    json_double(b, an.calls_timed ? an.talk_seconds / 60.0 / (double)an.calls_timed : 0.0);
    buf_lit(b, ",\"escalation_rate\":");
    json_double(b, ratio(an.escalated, an.total));
    buf_lit(b, ",\"channel_breakdown\":");
    counts_object(b, analytics_channels, an.by_channel, AN_CHANNELS);
    buf_lit(b, ",\"sentiment_breakdown\":");
    counts_object(b, analytics_sentiments, an.by_sentiment, AN_SENTIMENTS);
    buf_lit(b, ",\"outcome_breakdown\":");
    counts_object(b, analytics_outcomes, an.by_outcome, AN_OUTCOMES);
    buf_addc(b, '}');
}

static void timeseries(struct http_req *req, struct http_resp *resp)
{
    const char *interval = http_query(req, "interval");
    if (interval && strcmp(interval, "hour") && strcmp(interval, "day")) {
        api_error(resp, 422, NULL, "interval", "interval must be hour or day");
        return;
    }
    struct analytics_range r;
    struct analytics an;
    if (!compute(req, resp, &r, AN_WANT_BUCKETS, &an))
        return;
    bool hourly = interval ? strcmp(interval, "hour") == 0 : strcmp(r.period, "today") == 0;
    const struct analytics_bucket *bk = hourly ? an.hours : an.days;
    int n = hourly ? an.n_hours : an.n_days;
    struct buf *b = &resp->body;
    buf_grow(b, (size_t)n * 120 + 16);
    buf_addc(b, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            buf_addc(b, ',');
        buf_lit(b, "{\"timestamp\":");
        json_ts(b, bk[i].start);
        buf_lit(b, ",\"total_conversations\":");
        json_int(b, bk[i].total);
        buf_lit(b, ",\"appointments_booked\":");
        json_int(b, bk[i].booked);
        buf_lit(b, ",\"avg_satisfaction_score\":");
        avg(b, bk[i].score_sum, bk[i].score_n);
        buf_addc(b, '}');
    }
    buf_addc(b, ']');
}

static void channel_distribution(struct http_req *req, struct http_resp *resp)
{
    struct analytics_range r;
    struct analytics an;
    if (!compute(req, resp, &r, 0, &an))
        return;
    struct buf *b = &resp->body;
    buf_addc(b, '[');
    for (int i = 0; i < AN_CHANNELS; i++) {
        if (i)
            buf_addc(b, ',');
        buf_lit(b, "{\"name\":");
        json_str(b, analytics_channels[i]);
        buf_lit(b, ",\"conversations\":");
        json_int(b, an.by_channel[i]);
        buf_lit(b, ",\"avg_satisfaction_score\":");
        avg(b, an.ch_score_sum[i], an.ch_score_n[i]);
        buf_addc(b, '}');
    }
    buf_addc(b, ']');
}

static void outcome_distribution(struct http_req *req, struct http_resp *resp)
{
    struct analytics_range r;
    struct analytics an;
    if (!compute(req, resp, &r, 0, &an))
        return;
    struct buf *b = &resp->body;
    buf_addc(b, '[');
    for (int i = 0; i < AN_OUTCOMES; i++) {
        if (i)
            buf_addc(b, ',');
        buf_lit(b, "{\"name\":");
        json_str(b, analytics_outcomes[i]);
        buf_lit(b, ",\"count\":");
        json_int(b, an.by_outcome[i]);
        buf_addc(b, '}');
    }
    buf_addc(b, ']');
}

static void peak_hours(struct http_req *req, struct http_resp *resp)
{
    struct analytics_range r;
    struct analytics an;
    if (!compute(req, resp, &r, AN_WANT_BUCKETS, &an))
        return;
    struct buf *b = &resp->body;
    buf_grow(b, 7 * 24 * 40);
    buf_addc(b, '[');
    for (int d = 0; d < 7; d++) {
        for (int h = 0; h < 24; h++) {
            if (d || h)
                buf_addc(b, ',');
            buf_lit(b, "{\"day\":");
            json_int(b, d);
            buf_lit(b, ",\"hour\":");
            json_int(b, h);
            buf_lit(b, ",\"value\":");
            json_int(b, an.peak[d][h]);
            buf_addc(b, '}');
        }
    }
    buf_addc(b, ']');
}

static void funnel(struct http_req *req, struct http_resp *resp)
{
    struct analytics_range r;
    struct analytics an;
    if (!compute(req, resp, &r, AN_WANT_FUNNEL, &an))
        return;
    static const char *const STAGES[4][2] = {
        {"inquiries", "Inquiries"},
        {"checked_availability", "Checked availability"},
        {"attempted_booking", "Attempted booking"},
        {"booked", "Booked"},
    };
    struct buf *b = &resp->body;
    buf_lit(b, "{\"period\":");
    json_str(b, r.period);
    buf_lit(b, ",\"timezone\":");
    json_str(b, r.tz);
    buf_lit(b, ",\"stages\":[");
    for (int i = 0; i < 4; i++) {
        if (i)
            buf_addc(b, ',');
        buf_lit(b, "{\"stage\":");
        json_str(b, STAGES[i][0]);
        buf_lit(b, ",\"label\":");
        json_str(b, STAGES[i][1]);
        buf_lit(b, ",\"count\":");
        json_int(b, an.funnel[i]);
        buf_lit(b, ",\"rate\":");
        json_double(b, ratio(an.funnel[i], an.funnel[0]));
        buf_addc(b, '}');
    }
    buf_lit(b, "]}");
}

const struct http_route api_analytics_routes[] = {
    {"GET", "/api/admin/metrics/overview", overview, HTTP_VIEWER, HTTP_BODY_NONE, NULL, NULL},
    {"GET", "/api/admin/analytics/timeseries", timeseries, HTTP_VIEWER, HTTP_BODY_NONE, NULL,
     NULL},
    {"GET", "/api/admin/analytics/channel-distribution", channel_distribution, HTTP_VIEWER,
     HTTP_BODY_NONE, NULL, NULL},
    {"GET", "/api/admin/analytics/outcome-distribution", outcome_distribution, HTTP_VIEWER,
     HTTP_BODY_NONE, NULL, NULL},
    {"GET", "/api/admin/analytics/peak-hours", peak_hours, HTTP_VIEWER, HTTP_BODY_NONE, NULL,
     NULL},
    {"GET", "/api/admin/analytics/funnel", funnel, HTTP_VIEWER, HTTP_BODY_NONE, NULL, NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};
