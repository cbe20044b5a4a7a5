/*
 * metrics.c - request counters and latency histograms in Prometheus text format.
 *
 * Layer: http. Counters are plain atomics indexed by route and status class, so counting a
 * request takes no lock. Statuses are kept per code for the codes the server produces; anything
 * else is counted as "other".
 */
#include "http/http.h"

#include <stdatomic.h>
#include <stdio.h>

#define MAX_ROUTE_SLOTS 129 /* routes + one for unmatched paths */

static const int STATUSES[] = {101, 200, 201, 204, 400, 401, 403, 404, 405, 408,
                               409, 413, 415, 422, 429, 500, 502, 503};
#define N_STATUS (sizeof STATUSES / sizeof STATUSES[0] + 1)

static const int64_t BUCKETS_US[] = {250,   500,    1000,   2500,   5000,    10000,
                                     25000, 50000,  100000, 250000, 1000000, 5000000};
#define N_BUCKETS (sizeof BUCKETS_US / sizeof BUCKETS_US[0])

static _Atomic uint64_t counts[MAX_ROUTE_SLOTS][N_STATUS];
static _Atomic uint64_t hist[MAX_ROUTE_SLOTS][N_BUCKETS + 1];
static _Atomic uint64_t sum_us[MAX_ROUTE_SLOTS];
static _Atomic uint64_t db_errors;

static int status_slot(int status)
{
    for (size_t i = 0; i < N_STATUS - 1; i++)
        if (STATUSES[i] == status)
            return (int)i;
    return (int)N_STATUS - 1;
}

static int route_slot(int route_index)
{
    return route_index < 0 || route_index >= MAX_ROUTE_SLOTS - 1 ? MAX_ROUTE_SLOTS - 1
                                                                 : route_index;
}

void http_metrics_observe(int route_index, int status, int64_t micros)
{
    int r = route_slot(route_index);
    atomic_fetch_add_explicit(&counts[r][status_slot(status)], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < N_BUCKETS && micros > BUCKETS_US[b])
        b++;
    atomic_fetch_add_explicit(&hist[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sum_us[r], (uint64_t)(micros > 0 ? micros : 0),
                              memory_order_relaxed);
}

void http_metrics_db_error(void)
{
    atomic_fetch_add_explicit(&db_errors, 1, memory_order_relaxed);
}

static void route_label(struct buf *b, int slot)
{
    const struct http_route *r = http_route_at(slot);
    if (slot == MAX_ROUTE_SLOTS - 1 || !r)
        buf_printf(b, "route=\"unmatched\"");
    else
        buf_printf(b, "method=\"%s\",route=\"%s\"", r->method, r->name ? r->name : r->pattern);
}

void http_metrics_render(struct buf *b)
{
    int n = http_route_count();
    buf_lit(b, "# HELP switchboard_http_requests_total HTTP requests by route and status.\n"
               "# TYPE switchboard_http_requests_total counter\n");
    for (int slot = 0; slot < MAX_ROUTE_SLOTS; slot++) {
        if (slot >= n && slot != MAX_ROUTE_SLOTS - 1)
            continue;
        for (size_t s = 0; s < N_STATUS; s++) {
            uint64_t v = atomic_load_explicit(&counts[slot][s], memory_order_relaxed);
            if (!v)
                continue;
            buf_lit(b, "switchboard_http_requests_total{");
            route_label(b, slot);
            if (s < N_STATUS - 1)
                buf_printf(b, ",status=\"%d\"} %llu\n", STATUSES[s], (unsigned long long)v);
            else
                buf_printf(b, ",status=\"other\"} %llu\n", (unsigned long long)v);
        }
    }
    buf_lit(b, "# HELP switchboard_http_request_duration_seconds Time to answer a request.\n"
               "# TYPE switchboard_http_request_duration_seconds histogram\n");
    for (int slot = 0; slot < MAX_ROUTE_SLOTS; slot++) {
        if (slot >= n && slot != MAX_ROUTE_SLOTS - 1)
            continue;
        uint64_t total = 0;
        for (size_t k = 0; k <= N_BUCKETS; k++)
            total += atomic_load_explicit(&hist[slot][k], memory_order_relaxed);
        if (!total)
            continue;
        uint64_t cum = 0;
        for (size_t k = 0; k <= N_BUCKETS; k++) {
            cum += atomic_load_explicit(&hist[slot][k], memory_order_relaxed);
            buf_lit(b, "switchboard_http_request_duration_seconds_bucket{");
            route_label(b, slot);
            if (k < N_BUCKETS)
                buf_printf(b, ",le=\"%g\"} %llu\n", (double)BUCKETS_US[k] / 1e6,
                           (unsigned long long)cum);
            else
                buf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        buf_lit(b, "switchboard_http_request_duration_seconds_sum{");
        route_label(b, slot);
        buf_printf(b, "} %.6f\n",
                   (double)atomic_load_explicit(&sum_us[slot], memory_order_relaxed) / 1e6);
        buf_lit(b, "switchboard_http_request_duration_seconds_count{");
        route_label(b, slot);
        buf_printf(b, "} %llu\n", (unsigned long long)total);
    }
    buf_printf(b,
               "# HELP switchboard_db_errors_total Database errors seen while serving.\n"
               "# TYPE switchboard_db_errors_total counter\n"
               "switchboard_db_errors_total %llu\n",
               (unsigned long long)atomic_load_explicit(&db_errors, memory_order_relaxed));
}
