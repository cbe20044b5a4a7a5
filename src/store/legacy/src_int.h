/*
 * src_int.h - what a legacy source backend provides (SQLite or PostgreSQL).
 *
 * Layer: store/legacy, private. legacy_src.c picks the backend from the URL and forwards.
 */
#ifndef SB_LEGACY_SRC_INT_H
#define SB_LEGACY_SRC_INT_H

#include "store/legacy_src.h"
#include "store/store.h"

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
    /* Runs one statement (writers only); when it returns a row, *first gets its first column
     * as an integer. */
    int (*exec)(struct legacy_src *src, const char *sql, const char *const *params, int n_params,
                int64_t *first, struct err *e);
};

struct legacy_src {
    const struct legacy_src_ops *ops;
};

struct legacy_src *legacy_sqlite_open(const char *path, bool writable, struct err *e);
struct legacy_src *legacy_pg_open(const char *conninfo, bool writable, struct err *e);

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
/* Inserting a finished call (dual write); $1..$17 / $1..$4 in the order of the columns. */
#define LEGACY_INSERT_SESSION_SQL                                                              \
    "INSERT INTO call_sessions(customer_id, session_id, phone_number, started_at, ended_at, "  \
    "duration_seconds, transcript, recording_url, satisfaction_score, sentiment, outcome, "     \
    "customer_interruptions, ai_clarifications_needed, function_calls_made, escalated, "      \
    "escalation_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, " \
    "$15, $16) RETURNING id"
#define LEGACY_INSERT_EVENT_SQL                                                                \
    "INSERT INTO call_events(call_session_id, event_type, timestamp, data) "                  \
    "VALUES ($1, $2, $3, $4)"

/* The text parameters of a call for LEGACY_INSERT_SESSION_SQL (16 of them; numbers as text,
 * NULL pointers for SQL NULL); buffers for the numbers come from nums[6][32]. */
void legacy_call_params(const struct legacy_call_out *c, const char *params[16],
                        char nums[7][32]);

#define LEGACY_EVENT_COLS "call_session_id, id, event_type, timestamp, data"

#endif
