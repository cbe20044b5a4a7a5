/*
 * sq_sms.c - SMS lookups by provider id and the opt-out ledger in SQLite.
 *
 * Layer: store/sqlite.
 */
#include "store/sqlite/sq_int.h"

#include <stdio.h>
#include <string.h>

int sq_sms_find(struct store *s, const char *sid, char msg_id[UUID_STR_LEN + 1],
                char conv_id[UUID_STR_LEN + 1], struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "SELECT m.id, m.conversation_id FROM sms_details d JOIN "
                                  "communication_messages m ON m.id = d.message_id "
                                  "WHERE d.provider_message_id = ?",
                                  e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, sid);
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW) {
        snprintf(msg_id, UUID_STR_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(conv_id, UUID_STR_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 1));
    } else if (rc == SQLITE_DONE) {
        out = err_set(e, ERR_NOTFOUND, NULL, "no message with this sid");
    } else {
        out = sq_fail(c, rc, e, "sms lookup");
    }
    sq_done(st);
    return out;
}

int sq_optout_set(struct store *s, const char *phone, bool opted_out, const char *keyword,
                  int64_t at, const char *message_id, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "INSERT INTO opt_outs(phone, opted_out, keyword, updated_at, message_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(phone) DO UPDATE SET opted_out = ?2, "
        "keyword = ?3, updated_at = ?4, message_id = ?5 WHERE ?4 >= opt_outs.updated_at",
        e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, phone);
    sqlite3_bind_int(st, 2, opted_out);
    sq_bind_text(st, 3, keyword);
    sqlite3_bind_int64(st, 4, at);
    sq_bind_text(st, 5, message_id);
    return sq_exec_stmt(c, st, e, "opt-out");
}

int sq_optout_get(struct store *s, const char *phone, bool *opted_out, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c, "SELECT opted_out FROM opt_outs WHERE phone = ?", e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, phone);
    int rc = sqlite3_step(st);
    *opted_out = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sq_done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(c, rc, e, "opt-out lookup");
}

int sq_sms_state(struct store *s, const char *sid, struct arena *a, struct sms_state *out,
                 struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "SELECT m.id, m.conversation_id, m.direction, d.delivery_status, "
                                  "d.delivered_at, d.failed_at FROM sms_details d JOIN "
                                  "communication_messages m ON m.id = d.message_id "
                                  "WHERE d.provider_message_id = ?",
                                  e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, sid);
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW) {
        snprintf(out->msg_id, sizeof out->msg_id, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(out->conv_id, sizeof out->conv_id, "%s", (const char *)sqlite3_column_text(st, 1));
        out->direction = sq_col_enum(st, 2, a);
        out->status = sq_col_enum(st, 3, a);
        out->delivered_at = sq_col_ts(st, 4);
        out->failed_at = sq_col_ts(st, 5);
    } else if (rc == SQLITE_DONE) {
        ret = err_set(e, ERR_NOTFOUND, NULL, "no message with this sid");
    } else {
        ret = sq_fail(c, rc, e, "sms state");
    }
    sq_done(st);
    return ret;
}

int sq_sms_update(struct store *s, const char *msg_id, const struct sms_update *u, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "UPDATE sms_details SET provider_message_id = coalesce(?2, provider_message_id), "
        "delivery_status = coalesce(?3, delivery_status), error_code = coalesce(?4, error_code), "
        "error_message = coalesce(?5, error_message), "
        "delivered_at = coalesce(?6, delivered_at), failed_at = coalesce(?7, failed_at) "
        "WHERE message_id = ?1",
        e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, msg_id);
    sq_bind_text(st, 2, u->provider_message_id);
    sq_bind_text(st, 3, u->status);
    sq_bind_text(st, 4, u->error_code);
    sq_bind_text(st, 5, u->error_message);
    sq_bind_ts(st, 6, u->delivered_at);
    sq_bind_ts(st, 7, u->failed_at);
    return sq_exec_stmt(c, st, e, "sms update");
}

int sq_email_update(struct store *s, const char *msg_id, const char *provider_message_id,
                    const char *status, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "UPDATE email_details SET provider_message_id = coalesce(?2, provider_message_id), "
        "delivery_status = coalesce(?3, delivery_status) WHERE message_id = ?1",
        e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, msg_id);
    sq_bind_text(st, 2, provider_message_id);
    sq_bind_text(st, 3, status);
    return sq_exec_stmt(c, st, e, "email update");
}

int sq_idem_claim(struct store *s, const char *key, const char *hash, int64_t now,
                  int64_t expire_before, struct arena *a, struct idem_record *out, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sq_prepare(c, "DELETE FROM idempotency_keys WHERE created_at < ?", e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, expire_before);
    int rc = sq_exec_stmt(c, st, e, "idempotency expiry");
    if (rc < 0)
        return rc;
    st = sq_prepare(c,
                    "SELECT request_hash, state, status, response FROM idempotency_keys "
                    "WHERE key = ?",
                    e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->existed = true;
        out->same_request = strcmp((const char *)sqlite3_column_text(st, 0), hash) == 0;
        out->done = strcmp((const char *)sqlite3_column_text(st, 1), "done") == 0;
        out->status = sqlite3_column_int(st, 2);
        out->response = sq_col_text(st, 3, a);
        sq_done(st);
        return 0;
    }
    sq_done(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, rc, e, "idempotency lookup");
    st = sq_prepare(c,
                    "INSERT INTO idempotency_keys(key, request_hash, state, created_at) "
                    "VALUES (?, ?, 'in_flight', ?)",
                    e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, key);
    sq_bind_text(st, 2, hash);
    sqlite3_bind_int64(st, 3, now);
    return sq_exec_stmt(c, st, e, "idempotency claim");
}

int sq_idem_finish(struct store *s, const char *key, int status, const char *response,
                   struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "UPDATE idempotency_keys SET state = 'done', status = ?2, "
                                  "response = ?3 WHERE key = ?1",
                                  e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, key);
    sqlite3_bind_int(st, 2, status);
    sq_bind_text(st, 3, response);
    return sq_exec_stmt(c, st, e, "idempotency finish");
}

int sq_idem_release(struct store *s, const char *key, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c, "DELETE FROM idempotency_keys WHERE key = ? AND "
                                     "state = 'in_flight'", e);
    if (!st)
        return e->code;
    sq_bind_text(st, 1, key);
    return sq_exec_stmt(c, st, e, "idempotency release");
}
