/*
 * sq_analytics.c - the row scan behind analytics (SQLite).
 *
 * Layer: store/sqlite. One pass over the conversations of a time range in initiated_at order
 * (index conv_initiated); the per-conversation extras (outbound message count, call duration,
 * the booking functions called) are correlated subqueries evaluated only when asked for.
 */
#include "store/sqlite/sq_int.h"

#include <stdio.h>

int sq_conv_scan(struct store *s, const struct conv_scan *q,
                 int (*on_row)(void *ctx, const struct conv_stat_row *r), void *ctx,
                 struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    char sql[2048];
    snprintf(
        sql, sizeof sql,
        "SELECT c.initiated_at, c.channel, c.status, c.outcome, c.sentiment, "
        "c.satisfaction_score, c.customer_id, %s, %s, %s, %s FROM conversations c "
        "WHERE c.initiated_at >= ?1 AND c.initiated_at < ?2%s ORDER BY c.initiated_at",
        q->want_messages ? "(SELECT count(*) FROM communication_messages m WHERE "
                           "m.conversation_id = c.id AND m.direction = 'outbound')"
                         : "0",
        q->want_voice ? "CASE WHEN c.channel = 'voice' THEN (SELECT sum(v.duration_seconds) "
                        "FROM communication_messages m JOIN voice_call_details v ON "
                        "v.message_id = m.id WHERE m.conversation_id = c.id) END"
                      : "NULL",
        q->want_funnel ? "EXISTS (SELECT 1 FROM communication_events ev WHERE "
                         "ev.conversation_id = c.id AND ev.event_type = 'function_called' AND "
                         "ev.details LIKE '%check_availability%')"
                       : "0",
        q->want_funnel ? "EXISTS (SELECT 1 FROM communication_events ev WHERE "
                         "ev.conversation_id = c.id AND ev.event_type = 'function_called' AND "
                         "(ev.details LIKE '%book_appointment%' OR "
                         "ev.details LIKE '%reschedule_appointment%'))"
                       : "0",
        q->channel ? " AND c.channel = ?3" : "");
    sqlite3_stmt *st = sq_prepare(c, sql, e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, q->start);
    sqlite3_bind_int64(st, 2, q->end);
    if (q->channel)
        sqlite3_bind_text(st, 3, q->channel, -1, SQLITE_STATIC);
    int rc, stop = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct conv_stat_row r;
        r.initiated_at = sqlite3_column_int64(st, 0);
        r.channel = store_intern((const char *)sqlite3_column_text(st, 1));
        r.status = store_intern((const char *)sqlite3_column_text(st, 2));
        r.outcome = store_intern((const char *)sqlite3_column_text(st, 3));
        r.sentiment = store_intern((const char *)sqlite3_column_text(st, 4));
        r.satisfaction_score = sqlite3_column_int(st, 5);
        r.customer_id = sqlite3_column_int64(st, 6);
        r.outbound_messages = sqlite3_column_int64(st, 7);
        r.voice_seconds = sqlite3_column_double(st, 8);
        r.checked_availability = sqlite3_column_int(st, 9) != 0;
        r.attempted_booking = sqlite3_column_int(st, 10) != 0;
        if ((stop = on_row(ctx, &r)) != 0)
            break;
    }
    sq_done(st);
    if (stop)
        return stop;
    return rc == SQLITE_DONE ? 0 : sq_fail(c, rc, e, "analytics scan");
}
