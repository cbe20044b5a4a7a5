/*
 * analytics.h - metrics over a period: counts, rates, breakdowns, time buckets, peak hours and
 * the booking funnel, bucketed in a time zone.
 *
 * Layer: insight (calls store/ and core/). A period is resolved to [start, end) in UTC from
 * local dates in the zone (api.md §12: today, week = last 7 local days, month = last 30, custom
 * = inclusive local dates, at most 366 days). One scan of the period's conversations fills every
 * aggregate; a conversation belongs to the bucket of its initiated_at.
 */
#ifndef SB_ANALYTICS_H
#define SB_ANALYTICS_H

#include "store/store.h"

#define ANALYTICS_MAX_DAYS 366

struct analytics_range {
    const char *period, *tz;
    int64_t start, end; /* [start, end) */
    char start_date[11], end_date[11]; /* local YYYY-MM-DD, inclusive */
    int days;
};

/* Resolves a period; ERR_INVALID naming period, start_date, end_date or tz. */
int analytics_range_parse(const char *period, const char *start_date, const char *end_date,
                          const char *tz, int64_t now, struct analytics_range *r, struct err *e);

enum { AN_VOICE, AN_SMS, AN_EMAIL, AN_CHANNELS };
#define AN_SENTIMENTS 4
#define AN_OUTCOMES 8

extern const char *const analytics_channels[AN_CHANNELS];
extern const char *const analytics_sentiments[AN_SENTIMENTS];
extern const char *const analytics_outcomes[AN_OUTCOMES];

struct analytics_bucket {
    int64_t start;
    int64_t total, booked, score_sum, score_n;
    int wday, hour; /* local, for hourly buckets */
};

struct analytics {
    int64_t total, booked, escalated, customers_engaged, messages_sent;
    double talk_seconds;
    int64_t calls_timed;
    int64_t score_sum, score_n;
    int64_t by_channel[AN_CHANNELS], ch_score_sum[AN_CHANNELS], ch_score_n[AN_CHANNELS];
    int64_t by_sentiment[AN_SENTIMENTS], by_outcome[AN_OUTCOMES];
    int64_t funnel[4]; /* inquiries, checked availability, attempted booking, booked */
    int64_t peak[7][24];
    struct analytics_bucket *hours, *days;
    int n_hours, n_days;
};

enum { AN_WANT_MESSAGES = 1, AN_WANT_VOICE = 2, AN_WANT_FUNNEL = 4, AN_WANT_BUCKETS = 8 };

/* Computes the aggregates named by want over the range; buckets come from the arena. */
int analytics_compute(struct store *s, const struct analytics_range *r, unsigned want,
                      struct arena *a, struct analytics *out, struct err *e);

#endif
