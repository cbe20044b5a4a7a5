/*
 * analytics.c - periods in a time zone and the one-pass aggregation (see analytics.h).
 *
 * Layer: insight. Hour buckets step by 3600 s from the period's local midnight, so they stay
 * contiguous across daylight-saving changes; each knows its local weekday and hour (for the
 * peak-hours grid) and its local day (for day buckets). Rows arrive in initiated_at order, so
 * finding a row's bucket is a forward-moving pointer, not a search.
 */
#include "insight/analytics.h"

#include "core/timeutil.h"
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_US (3600 * TIME_US_PER_SEC)

const char *const analytics_channels[AN_CHANNELS] = {"voice", "sms", "email"};
const char *const analytics_sentiments[AN_SENTIMENTS] = {"positive", "neutral", "negative",
                                                         "mixed"};
const char *const analytics_outcomes[AN_OUTCOMES] = {
    "appointment_scheduled", "appointment_rescheduled", "appointment_cancelled", "info_request",
    "complaint", "escalated", "abandoned", "unresolved"};

static int index_of(const char *s, const char *const *list, int n)
{
    if (!s)
        return -1;
    for (int i = 0; i < n; i++)
        if (list[i] == s || strcmp(list[i], s) == 0)
            return i;
    return -1;
}

static bool parse_date(const char *s, int *y, int *m, int *d)
{
    int64_t t;
    if (!s || strlen(s) != 10 || !time_parse(s, &t))
        return false;
    return sscanf(s, "%4d-%2d-%2d", y, m, d) == 3;
}

static void fmt_date(char out[11], int y, int m, int d)
{
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

int analytics_range_parse(const char *period, const char *start_date, const char *end_date,
                          const char *tz, int64_t now, struct analytics_range *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    r->period = period ? period : "today";
    r->tz = tz;
    if (!tz_valid(tz))
        return err_set(e, ERR_INVALID, "tz", "tz must be an IANA time zone such as "
                                             "America/New_York");
    int sy, sm, sd, ey, em, ed;
    int back;
    if (strcmp(r->period, "today") == 0)
        back = 0;
    else if (strcmp(r->period, "week") == 0)
        back = 6;
    else if (strcmp(r->period, "month") == 0)
        back = 29;
    else if (strcmp(r->period, "custom") == 0)
        back = -1;
    else
        return err_set(e, ERR_INVALID, "period", "period must be today, week, month or custom");
    if (back < 0) {
        if (!start_date)
            return err_set(e, ERR_INVALID, "start_date", "period=custom needs start_date");
        if (!end_date)
            return err_set(e, ERR_INVALID, "end_date", "period=custom needs end_date");
        if (!parse_date(start_date, &sy, &sm, &sd))
            return err_set(e, ERR_INVALID, "start_date", "start_date must be a date YYYY-MM-DD");
        if (!parse_date(end_date, &ey, &em, &ed))
            return err_set(e, ERR_INVALID, "end_date", "end_date must be a date YYYY-MM-DD");
        int64_t span = time_days_from_civil(ey, (unsigned)em, (unsigned)ed) -
                       time_days_from_civil(sy, (unsigned)sm, (unsigned)sd);
        if (span < 0)
            return err_set(e, ERR_INVALID, "end_date", "end_date is before start_date");
        if (span + 1 > ANALYTICS_MAX_DAYS)
            return err_set(e, ERR_INVALID, "end_date", "a custom period covers at most %d days",
                           ANALYTICS_MAX_DAYS);
        r->days = (int)span + 1;
    } else {
        r->days = back + 1;
    }
    tz_enter(tz);
    if (back >= 0) {
        struct tz_cal today;
        tz_civil(now, &today);
        ey = today.y;
        em = today.m;
        ed = today.d;
        int64_t first = time_days_from_civil(ey, (unsigned)em, (unsigned)ed) - back;
        unsigned um, ud;
        time_civil_from_days(first, &sy, &um, &ud);
        sm = (int)um;
        sd = (int)ud;
    }
    r->start = tz_to_utc(sy, sm, sd, 0);
    r->end = tz_to_utc(ey, em, ed + 1, 0);
    tz_exit();
    fmt_date(r->start_date, sy, sm, sd);
    fmt_date(r->end_date, ey, em, ed);
    return 0;
}

struct scan_ctx {
    struct analytics *an;
    int64_t *customers;
    size_t n_cust, cap_cust;
    int hour_i, day_i;
    bool buckets;
    int oom;
};

static int on_row(void *vctx, const struct conv_stat_row *row)
{
    struct scan_ctx *x = vctx;
    struct analytics *an = x->an;
    an->total++;
    int ch = index_of(row->channel, analytics_channels, AN_CHANNELS);
    int se = index_of(row->sentiment, analytics_sentiments, AN_SENTIMENTS);
    int oc = index_of(row->outcome, analytics_outcomes, AN_OUTCOMES);
    bool booked = oc == 0;
    if (ch >= 0) {
        an->by_channel[ch]++;
        if (row->satisfaction_score) {
            an->ch_score_sum[ch] += row->satisfaction_score;
            an->ch_score_n[ch]++;
        }
    }
    if (se >= 0)
        an->by_sentiment[se]++;
    if (oc >= 0)
        an->by_outcome[oc]++;
    an->booked += booked;
    an->escalated += oc == 5;
    if (row->satisfaction_score) {
        an->score_sum += row->satisfaction_score;
        an->score_n++;
    }
    an->messages_sent += row->outbound_messages;
    if (row->voice_seconds > 0) {
        an->talk_seconds += row->voice_seconds;
        an->calls_timed++;
    }
    an->funnel[0]++;
    an->funnel[1] += row->checked_availability;
    an->funnel[2] += row->attempted_booking || booked;
    an->funnel[3] += booked;
    if (row->customer_id) {
        if (x->n_cust == x->cap_cust) {
            size_t nc = x->cap_cust ? x->cap_cust * 2 : 1024;
            int64_t *bigger = realloc(x->customers, nc * sizeof *bigger);
            if (!bigger) {
                x->oom = 1;
                return ERR_NOMEM;
            }
            x->customers = bigger;
            x->cap_cust = nc;
        }
        x->customers[x->n_cust++] = row->customer_id;
    }
    if (x->buckets && an->n_hours > 0) {
        while (x->hour_i + 1 < an->n_hours && row->initiated_at >= an->hours[x->hour_i + 1].start)
            x->hour_i++;
        struct analytics_bucket *h = &an->hours[x->hour_i];
        while (x->day_i + 1 < an->n_days && row->initiated_at >= an->days[x->day_i + 1].start)
            x->day_i++;
        struct analytics_bucket *d = &an->days[x->day_i];
        h->total++;
        d->total++;
        h->booked += booked;
        d->booked += booked;
        if (row->satisfaction_score) {
            h->score_sum += row->satisfaction_score;
            h->score_n++;
            d->score_sum += row->satisfaction_score;
            d->score_n++;
        }
        an->peak[h->wday][h->hour]++;
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lays out the hour and day buckets of the range with their local fields. */
static int make_buckets(const struct analytics_range *r, struct arena *a, struct analytics *an)
{
    an->n_hours = (int)((r->end - r->start + HOUR_US - 1) / HOUR_US);
    an->n_days = r->days;
    an->hours = arena_calloc(a, sizeof *an->hours * (size_t)(an->n_hours + 1));
    an->days = arena_calloc(a, sizeof *an->days * (size_t)(an->n_days + 1));
    if (!an->hours || !an->days)
        return ERR_NOMEM;
    int sy, sm, sd;
    sscanf(r->start_date, "%4d-%2d-%2d", &sy, &sm, &sd);
    tz_enter(r->tz);
    for (int i = 0; i < an->n_hours; i++) {
        struct tz_cal c;
        an->hours[i].start = r->start + (int64_t)i * HOUR_US;
        tz_civil(an->hours[i].start, &c);
        an->hours[i].wday = c.wday;
        an->hours[i].hour = c.hour;
    }
    for (int i = 0; i < an->n_days; i++)
        an->days[i].start = tz_to_utc(sy, sm, sd + i, 0);
    tz_exit();
    return 0;
}

int analytics_compute(struct store *s, const struct analytics_range *r, unsigned want,
                      struct arena *a, struct analytics *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct scan_ctx x = {.an = out, .buckets = (want & AN_WANT_BUCKETS) != 0};
    if (x.buckets && make_buckets(r, a, out) < 0)
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    struct conv_scan q = {
        .start = r->start,
        .end = r->end,
        .want_messages = (want & AN_WANT_MESSAGES) != 0,
        .want_voice = (want & AN_WANT_VOICE) != 0,
        .want_funnel = (want & AN_WANT_FUNNEL) != 0,
    };
    int rc = store_conv_scan(s, &q, on_row, &x, e);
    if (rc == ERR_NOMEM && x.oom)
        err_set(e, ERR_NOMEM, NULL, "out of memory counting customers");
    if (rc == 0 && x.n_cust) {
        qsort(x.customers, x.n_cust, sizeof *x.customers, cmp_i64);
        out->customers_engaged = 1;
        for (size_t i = 1; i < x.n_cust; i++)
            out->customers_engaged += x.customers[i] != x.customers[i - 1];
    }
    free(x.customers);
    return rc;
}
