/*
 * legacy_src.h - reading the legacy voice-only schema (customers, appointments, call_sessions,
 * call_events) from SQLite or PostgreSQL, as streams.
 *
 * Layer: store (the only layer with SQL). The legacy migrator and verifier (src/legacy/) read
 * through this interface and never see a driver. Rows are handed to callbacks one at a time, in
 * id order, with their strings valid only during the callback (copy what you keep), so memory
 * stays flat however large the source is. Sessions arrive with their events (merged from a second
 * ordered stream). A source that lacks the legacy tables is refused at open with ERR_INVALID.
 */
#ifndef SB_LEGACY_SRC_H
#define SB_LEGACY_SRC_H

#include "core/err.h"

#include <stdbool.h>
#include <stdint.h>

struct legacy_src;

/* A text column: NULL for SQL NULL; len is the byte length (text may hold invalid UTF-8). */
struct legacy_customer {
    int64_t id;
    const char *name, *phone, *email, *notes;
    const char *created_at, *updated_at; /* legacy text timestamps or NULL */
    int is_new_client, has_allergies, is_pregnant; /* -1 = NULL */
};

struct legacy_appointment {
    int64_t id, customer_id;
    const char *calendar_event_id, *appointment_datetime, *service_type, *provider, *status;
    const char *booked_by, *special_requests, *cancellation_reason;
    const char *created_at, *updated_at, *cancelled_at;
    int64_t duration_minutes; /* -1 = NULL */
};

struct legacy_event {
    int64_t id;
    const char *event_type, *timestamp, *data;
};

struct legacy_session {
    int64_t id;
    int64_t customer_id; /* 0 = NULL */
    const char *session_id, *phone_number, *started_at, *ended_at, *transcript, *recording_url;
    const char *sentiment, *outcome, *escalation_reason;
    int64_t duration_seconds;          /* -1 = NULL */
    bool has_score;
    double satisfaction_score;
    int64_t customer_interruptions;    /* -1 = NULL */
    int64_t ai_clarifications_needed;  /* -1 = NULL */
    int64_t function_calls_made;       /* -1 = NULL */
    int escalated;                     /* -1 = NULL */
    struct legacy_event *events;
    int n_events;
};

struct legacy_counts {
    int64_t customers, appointments, sessions, events;
};

/* Which sessions to stream. */
struct legacy_session_filter {
    int64_t after_id;          /* only ids > after_id */
    const char *const *session_ids; /* legacy session_id values, or NULL for all */
    int n_session_ids;
};

/* Opens url (`sqlite:PATH`, a path, or `postgres://...`) read-only. NULL with e set: ERR_IO
 * when it cannot be opened, ERR_INVALID when it is not a legacy database. */
struct legacy_src *legacy_src_open(const char *url, struct err *e);
void legacy_src_close(struct legacy_src *src);

/* Opens url for writing finished calls into it (dual write); the same errors as above. */
struct legacy_src *legacy_src_open_writer(const char *url, struct err *e);

/* Writes one finished call and its events in one transaction; *legacy_id gets the new
 * call_sessions id. */
struct legacy_call_out;
int legacy_src_write_call(struct legacy_src *src, const struct legacy_call_out *c,
                          int64_t *legacy_id, struct err *e);

int legacy_src_counts(struct legacy_src *src, struct legacy_counts *out, struct err *e);

/* Streams rows in id order; a nonzero return from the callback stops the stream and is
 * returned. */
int legacy_src_customers(struct legacy_src *src,
                         int (*cb)(void *ctx, const struct legacy_customer *c), void *ctx,
                         struct err *e);
int legacy_src_appointments(struct legacy_src *src,
                            int (*cb)(void *ctx, const struct legacy_appointment *ap), void *ctx,
                            struct err *e);
int legacy_src_sessions(struct legacy_src *src, const struct legacy_session_filter *f,
                        int (*cb)(void *ctx, const struct legacy_session *s), void *ctx,
                        struct err *e);

#endif
