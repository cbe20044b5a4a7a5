/*
 * src_int.h - what a legacy source backend provides (SQLite or PostgreSQL).
 *
 * Layer: store/legacy, private. legacy_src.c picks the backend from the URL and forwards.
 */
#ifndef SB_LEGACY_SRC_INT_H
#define SB_LEGACY_SRC_INT_H

#include "store/legacy_src.h"

/* A backend runs ordered queries and hands back text columns. Queries use $1, $2, ... in
 * order of appearance (both SQLite and PostgreSQL accept that form). */
struct legacy_src_ops {
    void (*close)(struct legacy_src *src);
    /* Starts a query with text parameters; returns an opaque cursor or NULL with e set. */
    void *(*query)(struct legacy_src *src, const char *sql, const char *const *params,
                   int n_params, struct err *e);
    /* 1 = a row is current, 0 = done, < 0 = error (e set). */
    int (*step)(void *cursor, struct err *e);
    /* Column i of the current row as text (NULL for SQL NULL); valid until the next step. */
    const char *(*col)(void *cursor, int i);
    void (*finish)(void *cursor);
};

struct legacy_src {
    const struct legacy_src_ops *ops;
};

struct legacy_src *legacy_sqlite_open(const char *path, struct err *e);
struct legacy_src *legacy_pg_open(const char *conninfo, struct err *e);

/* The column lists both backends select, in the order the row readers expect. */
#define LEGACY_CUSTOMER_COLS                                                                   \
    "id, name, phone, email, notes, created_at, updated_at, is_new_client, has_allergies, "    \
    "is_pregnant"
#define LEGACY_APPOINTMENT_COLS                                                                \
    "id, customer_id, calendar_event_id, appointment_datetime, service_type, provider, "       \
    "status, booked_by, special_requests, cancellation_reason, created_at, updated_at, "       \
    "cancelled_at, duration_minutes"
#define LEGACY_SESSION_COLS                                                                    \
    "id, customer_id, session_id, phone_number, started_at, ended_at, transcript, "            \
    "recording_url, sentiment, outcome, escalation_reason, duration_seconds, "                 \
    "satisfaction_score, customer_interruptions, ai_clarifications_needed, "                   \
    "function_calls_made, escalated"
#define LEGACY_EVENT_COLS "call_session_id, id, event_type, timestamp, data"

#endif
