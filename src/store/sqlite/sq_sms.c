/*
 * sq_sms.c - SMS lookups by provider id and the opt-out ledger in SQLite.
 *
 * Layer: store/sqlite.
 */
#include "store/sqlite/sq_int.h"

#include <stdio.h>

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
