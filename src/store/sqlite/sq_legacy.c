/*
 * sq_legacy.c - the target side of the legacy migration in SQLite: imports that keep legacy
 * ids, the migration map, and the scan that verification compares with the source.
 *
 * Layer: store/sqlite.
 */
#include "store/sqlite/sq_int.h"

#include "store/legacy/src_int.h"

#include <stdio.h>
#include <string.h>

static int import_conflict(struct sq_conn *c, int rc, struct err *e, const char *what)
{
    const char *msg = sqlite3_errmsg(c->db);
    int code = sq_fail(c, rc, e, what);
    if (code != ERR_CONFLICT || !e)
        return code;
    if (strstr(msg, ".phone"))
        e->field = "phone";
    else if (strstr(msg, ".email"))
        e->field = "email";
    else if (strstr(msg, "calendar_event_id"))
        e->field = "calendar_event_id";
    else
        e->field = "id";
    return code;
}

static void bind_flag(sqlite3_stmt *st, int i, int v)
{
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int(st, i, v);
}

int sq_customer_import(struct store *s, const struct customer_import *cu, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "INSERT INTO customers(id, name, phone, email, is_new_client, created_at, updated_at, "
        "notes, has_allergies, is_pregnant, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, cu->id);
    sq_bind_text(st, 2, cu->name);
    sq_bind_text(st, 3, cu->phone);
    sq_bind_text(st, 4, cu->email);
    sqlite3_bind_int(st, 5, cu->is_new_client < 0 ? 1 : cu->is_new_client);
    sqlite3_bind_int64(st, 6, cu->created_at);
    sqlite3_bind_int64(st, 7, cu->updated_at ? cu->updated_at : cu->created_at);
    sq_bind_text(st, 8, cu->notes);
    bind_flag(st, 9, cu->has_allergies);
    bind_flag(st, 10, cu->is_pregnant);
    sq_bind_text(st, 11, cu->metadata);
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_DONE ? 0 : import_conflict(c, rc, e, "customer import");
    sq_done(st);
    if (out == 0) /* an id of its own may be below the search index's mark */
        out = sq_search_index_customer(c, cu->id, cu->name, e);
    if (out == 0)
        sq_search_wrote(c);
    return out;
}

int sq_appointment_import(struct store *s, const struct appointment_import *ap, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "INSERT INTO appointments(id, customer_id, service, provider, status, starts_at, "
        "duration_minutes, notes, created_at, calendar_event_id, booked_by, special_requests, "
        "cancellation_reason, updated_at, cancelled_at) "
        "VALUES (?, ?, ?, ?, coalesce(?, 'scheduled'), ?, coalesce(?, 60), NULL, ?, ?, ?, ?, ?, "
        "?, ?)",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, ap->id);
    sqlite3_bind_int64(st, 2, ap->customer_id);
    sq_bind_text(st, 3, ap->service);
    sq_bind_text(st, 4, ap->provider);
    sq_bind_text(st, 5, ap->status);
    sqlite3_bind_int64(st, 6, ap->starts_at);
    if (ap->duration_minutes >= 0)
        sqlite3_bind_int64(st, 7, ap->duration_minutes);
    sqlite3_bind_int64(st, 8, ap->created_at ? ap->created_at : ap->starts_at);
    sq_bind_text(st, 9, ap->calendar_event_id);
    sq_bind_text(st, 10, ap->booked_by);
    sq_bind_text(st, 11, ap->special_requests);
    sq_bind_text(st, 12, ap->cancellation_reason);
    sq_bind_ts(st, 13, ap->updated_at);
    sq_bind_ts(st, 14, ap->cancelled_at);
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_DONE ? 0 : import_conflict(c, rc, e, "appointment import");
    sq_done(st);
    return out;
}

static int exists(struct store *s, const char *sql, int64_t id, bool *out, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c, sql, e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW;
    sq_done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(c, rc, e, "exists");
}

int sq_customer_exists(struct store *s, int64_t id, bool *out, struct err *e)
{
    return exists(s, "SELECT 1 FROM customers WHERE id = ?", id, out, e);
}

int sq_appointment_exists(struct store *s, int64_t id, bool *out, struct err *e)
{
    return exists(s, "SELECT 1 FROM appointments WHERE id = ?", id, out, e);
}

int sq_legacy_done(struct store *s, int64_t lo, int64_t hi, int64_t *ids, int max, int *n,
                   struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "SELECT legacy_id FROM legacy_map WHERE legacy_id BETWEEN ? "
                                  "AND ? ORDER BY legacy_id",
                                  e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sq_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sq_fail(c, rc, e, "legacy map");
}

static int map_insert(struct store *s, int64_t legacy_id, const char *session_id,
                      const char *conv_id, const char *origin, struct err *e);

int sq_legacy_map_insert(struct store *s, int64_t legacy_id, const char *session_id,
                         const char *conv_id, struct err *e)
{
    return map_insert(s, legacy_id, session_id, conv_id, "migrated", e);
}

int sq_legacy_map_dual(struct store *s, int64_t legacy_id, const char *session_id,
                       const char *conv_id, struct err *e)
{
    return map_insert(s, legacy_id, session_id, conv_id, "dual_write", e);
}

static int map_insert(struct store *s, int64_t legacy_id, const char *session_id,
                      const char *conv_id, const char *origin, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "INSERT INTO legacy_map(legacy_id, legacy_session_id, "
                                  "conversation_id, origin, migrated_at) VALUES (?, ?, ?, ?, "
                                  "CAST(strftime('%s','now') AS INTEGER) * 1000000)",
                                  e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, legacy_id);
    sq_bind_text(st, 2, session_id);
    sq_bind_text(st, 3, conv_id);
    sq_bind_text(st, 4, origin);
    return sq_exec_stmt(c, st, e, "legacy map insert");
}

int sq_legacy_scan(struct store *s, int64_t after, int64_t upto,
                   int (*cb)(void *ctx, const struct legacy_target_row *r), void *ctx,
                   struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "SELECT l.legacy_id, l.legacy_session_id, c.id, c.customer_id, c.status, c.sentiment, "
        "c.outcome, c.subject, c.metadata, c.initiated_at, c.last_activity_at, c.completed_at, "
        "c.satisfaction_score, c.message_count, "
        "(SELECT count(*) FROM communication_events ev WHERE ev.conversation_id = c.id), "
        "v.interruption_count, v.duration_seconds, m.content, v.recording_url, "
        "v.function_calls, v.transcript_segments, l.origin = 'dual_write', "
        "c.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customers cu WHERE cu.id = "
        "c.customer_id) "
        "FROM legacy_map l JOIN conversations c ON c.id = l.conversation_id "
        "LEFT JOIN communication_messages m ON m.conversation_id = c.id "
        "LEFT JOIN voice_call_details v ON v.message_id = m.id "
        "WHERE l.legacy_id > ?1 AND l.legacy_id <= ?2 ORDER BY l.legacy_id",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, upto);
    int rc, stop = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct legacy_target_row r = {
            .legacy_id = sqlite3_column_int64(st, 0),
            .legacy_session_id = (const char *)sqlite3_column_text(st, 1),
            .conversation_id = (const char *)sqlite3_column_text(st, 2),
            .customer_id = sq_col_ts(st, 3),
            .status = (const char *)sqlite3_column_text(st, 4),
            .sentiment = (const char *)sqlite3_column_text(st, 5),
            .outcome = (const char *)sqlite3_column_text(st, 6),
            .subject = (const char *)sqlite3_column_text(st, 7),
            .metadata = (const char *)sqlite3_column_text(st, 8),
            .initiated_at = sq_col_ts(st, 9),
            .last_activity_at = sq_col_ts(st, 10),
            .completed_at = sq_col_ts(st, 11),
            .satisfaction_score = sqlite3_column_int(st, 12),
            .n_messages = sqlite3_column_int64(st, 13),
            .n_events = sqlite3_column_int64(st, 14),
            .interruption_count = sqlite3_column_int64(st, 15),
            .duration_seconds = sqlite3_column_type(st, 16) == SQLITE_NULL
                                    ? -1
                                    : sqlite3_column_double(st, 16),
            .content = (const char *)sqlite3_column_text(st, 17),
            .recording_url = (const char *)sqlite3_column_text(st, 18),
            .function_calls = (const char *)sqlite3_column_text(st, 19),
            .transcript_segments = (const char *)sqlite3_column_text(st, 20),
            .dual_write = sqlite3_column_int(st, 21) != 0,
            .customer_missing = sqlite3_column_int(st, 22) != 0,
        };
        if ((stop = cb(ctx, &r)) != 0)
            break;
    }
    sq_done(st);
    if (stop)
        return stop;
    return rc == SQLITE_DONE ? 0 : sq_fail(c, rc, e, "legacy scan");
}

int sq_count_customers(struct store *s, int64_t *customers, int64_t *appointments,
                       struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    int rc = sq_count(c, "SELECT count(*) FROM customers", customers, e);
    return rc == 0 ? sq_count(c, "SELECT count(*) FROM appointments", appointments, e) : rc;
}

int sq_legacy_call_write(struct store *s, const struct legacy_call_out *call, int64_t *legacy_id,
                         struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    const char *p[16];
    char nums[7][32];
    legacy_call_params(call, p, nums);
    sqlite3_stmt *st = sq_prepare(c, LEGACY_INSERT_SESSION_SQL, e);
    if (!st)
        return e->code;
    for (int i = 0; i < 16; i++)
        sq_bind_text(st, i + 1, p[i]);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *legacy_id = sqlite3_column_int64(st, 0);
    sq_done(st);
    if (rc != SQLITE_ROW)
        return sq_fail(c, rc, e, "legacy call insert");
    st = sq_prepare(c, LEGACY_INSERT_EVENT_SQL, e);
    if (!st)
        return e->code;
    for (int i = 0; i < call->n_events; i++) {
        sqlite3_bind_int64(st, 1, *legacy_id);
        sq_bind_text(st, 2, call->event_types[i]);
        sq_bind_text(st, 3, call->event_times[i]);
        sq_bind_text(st, 4, call->event_data[i]);
        int r2 = sq_exec_stmt(c, st, e, "legacy event insert");
        if (r2 < 0)
            return r2;
    }
    return 0;
}

int sq_has_legacy_tables(struct store *s, bool *yes, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    int64_t n = 0;
    int rc = sq_count(c,
                       "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                       "('call_sessions', 'call_events')",
                       &n, e);
    *yes = n == 2;
    return rc;
}

int sq_outbox_add(struct store *s, const char *conv_id, const char *payload, int64_t now,
                  struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "INSERT INTO legacy_outbox(conversation_id, payload, created_at, "
                                  "next_attempt_at) VALUES (?, ?, ?, ?)",
                                  e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, conv_id);
    sq_bind_text(st, 2, payload);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, now);
    return sq_exec_stmt(c, st, e, "outbox insert");
}

int sq_outbox_due(struct store *s, int64_t now, int limit, struct arena *a,
                  struct outbox_item **items, int *n, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "SELECT id, conversation_id, payload, attempts FROM legacy_outbox "
                                  "WHERE delivered_at IS NULL AND next_attempt_at <= ? "
                                  "ORDER BY next_attempt_at LIMIT ?",
                                  e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    *n = 0;
    *items = arena_calloc(a, sizeof **items * (size_t)(limit > 0 ? limit : 1));
    if (!*items) {
        sq_done(st);
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
        struct outbox_item *it = &(*items)[(*n)++];
        it->id = sqlite3_column_int64(st, 0);
        it->conversation_id = sq_col_text(st, 1, a);
        it->payload = sq_col_text(st, 2, a);
        it->attempts = sqlite3_column_int64(st, 3);
    }
    sq_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sq_fail(c, rc, e, "outbox");
}

int sq_outbox_delivered(struct store *s, int64_t id, int64_t legacy_id, int64_t now,
                        struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "UPDATE legacy_outbox SET delivered_at = ?, legacy_id = ?, "
                                  "attempts = attempts + 1, last_error = NULL WHERE id = ?",
                                  e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, legacy_id);
    sqlite3_bind_int64(st, 3, id);
    return sq_exec_stmt(c, st, e, "outbox delivered");
}

int sq_outbox_failed(struct store *s, int64_t id, int64_t next_at, const char *error,
                     struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "UPDATE legacy_outbox SET attempts = attempts + 1, "
                                  "next_attempt_at = ?, last_error = ? WHERE id = ?",
                                  e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, next_at);
    sq_bind_text(st, 2, error);
    sqlite3_bind_int64(st, 3, id);
    return sq_exec_stmt(c, st, e, "outbox retry");
}

int sq_outbox_pending(struct store *s, int64_t *n, int64_t *oldest, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    int rc = sq_count(c, "SELECT count(*) FROM legacy_outbox WHERE delivered_at IS NULL", n, e);
    if (rc == 0)
        rc = sq_count(c,
                       "SELECT coalesce(min(created_at), 0) FROM legacy_outbox "
                       "WHERE delivered_at IS NULL",
                       oldest, e);
    return rc;
}
