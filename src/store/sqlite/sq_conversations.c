/*
 * sq_conversations.c - conversations, messages and events in SQLite.
 *
 * Layer: store/sqlite. The list query is built from the filter into a stack buffer and cached by
 * its text, so each combination of filters is prepared once per connection. Paging is keyset
 * paging on (sort key, id) with an index for each common filter; `total` comes from the kept
 * per-(channel, status) counts when only those filters are set, so it costs no scan.
 */
#include "store/sqlite/sq_int.h"

#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>

char *sq_fts_query(const char *q, struct arena *a); /* sq_customers.c */

static int conv_insert(struct sq_conn *c, const struct conversation *cv, struct err *e);

/* The row, its kept count and its place in the subject queue: one transaction (its own when
 * the caller has none). */
int sq_conv_insert(struct store *s, const struct conversation *cv, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    if (c->tx_depth > 0)
        return conv_insert(c, cv, e);
    int rc = store_begin(s, true, e);
    if (rc < 0)
        return rc;
    if ((rc = conv_insert(c, cv, e)) == 0)
        return store_commit(s, e);
    store_rollback(s);
    return rc;
}

/* ---- kept counts ------------------------------------------------------------------------ */

static const char *const CHANNELS[3] = {"voice", "sms", "email"};
static const char *const STATUSES[3] = {"active", "completed", "failed"};

static int index_of(const char *const names[3], const char *s)
{
    for (int i = 0; s && i < 3; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static int count_add(struct sq_conn *c, const char *channel, const char *status, int64_t n,
                     struct err *e)
{
    sqlite3_stmt *st = sq_prepare(
        c, "UPDATE conversation_counts SET n = n + ? WHERE channel = ? AND status = ?", e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, n);
    sq_bind_text(st, 2, channel);
    sq_bind_text(st, 3, status);
    return sq_exec_stmt(c, st, e, "conversation count");
}

/* One more conversation of (channel, status) in the caller's transaction. */
static int count_one(struct sq_conn *c, const char *channel, const char *status, struct err *e)
{
    int ch = index_of(CHANNELS, channel), stt = index_of(STATUSES, status);
    if (ch < 0 || stt < 0 || c->tx_depth < 1 || c->tx_depth > SQ_COUNT_LEVELS)
        return count_add(c, channel, status, 1, e);
    c->count_delta[c->tx_depth - 1][ch][stt]++;
    c->counts_dirty = true;
    return 0;
}

int sq_counts_at_commit(struct sq_conn *c, struct err *e)
{
    if (!c->counts_dirty)
        return 0;
    int rc = 0;
    for (int ch = 0; rc == 0 && ch < 3; ch++)
        for (int stt = 0; rc == 0 && stt < 3; stt++)
            if (c->count_delta[0][ch][stt])
                rc = count_add(c, CHANNELS[ch], STATUSES[stt], c->count_delta[0][ch][stt], e);
    if (rc == 0)
        sq_counts_drop(c, 0);
    return rc;
}

void sq_counts_release(struct sq_conn *c, int level)
{
    if (!c->counts_dirty || level < 1 || level >= SQ_COUNT_LEVELS)
        return;
    for (int ch = 0; ch < 3; ch++)
        for (int stt = 0; stt < 3; stt++) {
            c->count_delta[level - 1][ch][stt] += c->count_delta[level][ch][stt];
            c->count_delta[level][ch][stt] = 0;
        }
}

void sq_counts_drop(struct sq_conn *c, int level)
{
    if (!c->counts_dirty || level < 0 || level >= SQ_COUNT_LEVELS)
        return;
    for (int l = level; l < SQ_COUNT_LEVELS; l++)
        memset(c->count_delta[l], 0, sizeof c->count_delta[l]);
    if (level == 0)
        c->counts_dirty = false;
}

/* ---- conversations ------------------------------------------------------------------------ */

static int conv_insert(struct sq_conn *c, const struct conversation *cv, struct err *e)
{
    sqlite3_stmt *st = sq_prepare(
        c,
        "INSERT INTO conversations(id, customer_id, channel, status, initiated_at, "
        "last_activity_at, completed_at, satisfaction_score, sentiment, outcome, subject, "
        "ai_summary, metadata, score_explanation, message_count, last_message_preview) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, cv->id, -1, SQLITE_STATIC);
    sq_bind_ts(st, 2, cv->customer_id);
    sq_bind_text(st, 3, cv->channel);
    sq_bind_text(st, 4, cv->status);
    sqlite3_bind_int64(st, 5, cv->initiated_at);
    sqlite3_bind_int64(st, 6, cv->last_activity_at ? cv->last_activity_at : cv->initiated_at);
    sq_bind_ts(st, 7, cv->completed_at);
    sq_bind_ts(st, 8, cv->satisfaction_score);
    sq_bind_text(st, 9, cv->sentiment);
    sq_bind_text(st, 10, cv->outcome);
    sq_bind_text(st, 11, cv->subject);
    sq_bind_text(st, 12, cv->ai_summary);
    sq_bind_text(st, 13, cv->metadata);
    sq_bind_text(st, 14, cv->score_explanation);
    sqlite3_bind_int64(st, 15, cv->message_count);
    sq_bind_text(st, 16, cv->last_message_preview);
    int rc = sq_exec_stmt(c, st, e, "conversation insert");
    /* what the insert triggers did before migration 010: the kept count (added at commit), the
     * subject queue (a bulk load indexes every subject when it finishes instead) */
    if (rc == 0)
        rc = count_one(c, cv->channel, cv->status, e);
    if (rc == 0 && cv->subject && *cv->subject && !c->search_deferred) {
        st = sq_prepare(c, "INSERT OR IGNORE INTO subject_fts_queue(conversation_id) VALUES (?)",
                        e);
        rc = st ? 0 : e->code;
        if (rc == 0) {
            sqlite3_bind_text(st, 1, cv->id, -1, SQLITE_STATIC);
            rc = sq_exec_stmt(c, st, e, "subject queue");
        }
        if (rc == 0)
            sq_search_wrote(c);
    }
    return rc;
}

int sq_conv_update(struct store *s, const char *id, const struct conv_update *u, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "UPDATE conversations SET status = coalesce(?2, status), outcome = coalesce(?3, outcome), "
        "subject = coalesce(?4, subject), sentiment = coalesce(?5, sentiment), "
        "ai_summary = coalesce(?6, ai_summary), "
        "score_explanation = coalesce(?7, score_explanation), "
        "completed_at = CASE WHEN ?8 THEN ?9 ELSE completed_at END, "
        "satisfaction_score = CASE WHEN ?10 THEN ?11 ELSE satisfaction_score END, "
        "last_activity_at = CASE WHEN ?12 THEN max(last_activity_at, ?13) "
        "ELSE last_activity_at END WHERE id = ?1",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sq_bind_text(st, 2, u->status);
    sq_bind_text(st, 3, u->outcome);
    sq_bind_text(st, 4, u->subject);
    sq_bind_text(st, 5, u->sentiment);
    sq_bind_text(st, 6, u->ai_summary);
    sq_bind_text(st, 7, u->score_explanation);
    sqlite3_bind_int(st, 8, u->set_completed_at);
    sq_bind_ts(st, 9, u->completed_at);
    sqlite3_bind_int(st, 10, u->set_score);
    sq_bind_ts(st, 11, u->satisfaction_score);
    sqlite3_bind_int(st, 12, u->set_last_activity);
    sqlite3_bind_int64(st, 13, u->last_activity_at);
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc != SQLITE_DONE)
        out = sq_fail(c, rc, e, "conversation update");
    else if (sqlite3_changes(c->db) == 0)
        out = err_set(e, ERR_NOTFOUND, "id", "conversation %s not found", id);
    sq_done(st);
    if (out == 0 && u->subject && *u->subject)
        sq_search_wrote(c); /* a new subject is queued for the subject index */
    return out;
}

int sq_conv_get(struct store *s, const char *id, struct arena *a, struct conversation *out,
                struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c, "SELECT " SQ_CONV_COLS SQ_CONV_FROM " WHERE c.id = ?", e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW)
        sq_read_conv(st, 0, a, out);
    else if (rc == SQLITE_DONE)
        ret = err_set(e, ERR_NOTFOUND, "id", "conversation %s not found", id);
    else
        ret = sq_fail(c, rc, e, "conversation get");
    sq_done(st);
    return ret;
}

int sq_conv_active_thread(struct store *s, int64_t customer_id, const char *channel,
                          char id[UUID_STR_LEN + 1], int64_t *last_activity_at, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(c,
                                  "SELECT id, last_activity_at FROM conversations WHERE "
                                  "customer_id = ? AND channel = ? AND status = 'active' "
                                  "ORDER BY +last_activity_at DESC LIMIT 1", /* (see 007) */
                                  e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, customer_id);
    sq_bind_text(st, 2, channel);
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW) {
        snprintf(id, UUID_STR_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
        *last_activity_at = sqlite3_column_int64(st, 1);
    } else if (rc == SQLITE_DONE) {
        ret = err_set(e, ERR_NOTFOUND, NULL, "no active conversation");
    } else {
        ret = sq_fail(c, rc, e, "active thread");
    }
    sq_done(st);
    return ret;
}

static const char *sort_expr(enum conv_sort s)
{
    switch (s) {
    case CONV_SORT_INITIATED: return "c.initiated_at";
    case CONV_SORT_SCORE: return "coalesce(c.satisfaction_score, 0)";
    default: return "c.last_activity_at";
    }
}

/* Appends the WHERE clause of f (without cursor) to sql; parameters are named so the same text
 * binds the same way in the row query and the count query. */
static void build_where(const struct conv_filter *f, const char *fts, char *sql, size_t cap)
{
    size_t n = strlen(sql);
    const char *sep = " WHERE ";
#define ADD(cond)                                                                              \
    do {                                                                                       \
        n += (size_t)snprintf(sql + n, cap - n, "%s%s", sep, cond);                            \
        sep = " AND ";                                                                         \
    } while (0)
    if (f->channel)
        ADD("c.channel = :channel");
    else if (f->messaging_only)
        ADD("c.channel IN ('sms', 'email')");
    if (f->status)
        ADD("c.status = :status");
    if (f->outcome)
        ADD("c.outcome = :outcome");
    if (f->sentiment)
        ADD("c.sentiment = :sentiment");
    if (f->customer_id)
        ADD("c.customer_id = :customer");
    if (f->since)
        ADD("c.initiated_at >= :since");
    if (f->until)
        ADD("c.initiated_at <= :until");
    if (f->q) {
        if (fts)
            ADD("(c.id IN (SELECT m.conversation_id FROM communication_messages m WHERE m.rowid "
                "IN (SELECT rowid FROM message_fts WHERE message_fts MATCH :fts)) "
                "OR c.id IN (SELECT conversation_id FROM subject_fts WHERE subject_fts MATCH :fts) "
                "OR c.customer_id IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH "
                ":fts))");
        else
            ADD("0");
    }
#undef ADD
}

static void bind_filter(sqlite3_stmt *st, const struct conv_filter *f, const char *fts)
{
    int i;
    if ((i = sqlite3_bind_parameter_index(st, ":channel")))
        sqlite3_bind_text(st, i, f->channel, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":status")))
        sqlite3_bind_text(st, i, f->status, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":outcome")))
        sqlite3_bind_text(st, i, f->outcome, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":sentiment")))
        sqlite3_bind_text(st, i, f->sentiment, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":customer")))
        sqlite3_bind_int64(st, i, f->customer_id);
    if ((i = sqlite3_bind_parameter_index(st, ":since")))
        sqlite3_bind_int64(st, i, f->since);
    if ((i = sqlite3_bind_parameter_index(st, ":until")))
        sqlite3_bind_int64(st, i, f->until);
    if ((i = sqlite3_bind_parameter_index(st, ":fts")))
        sqlite3_bind_text(st, i, fts, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":ckey")))
        sqlite3_bind_int64(st, i, f->cursor_key);
    if ((i = sqlite3_bind_parameter_index(st, ":cid")))
        sqlite3_bind_text(st, i, f->cursor_id, -1, SQLITE_STATIC);
}

static int read_page(struct sq_conn *c, sqlite3_stmt *st, int limit, struct arena *a,
                     struct conv_page *out, struct err *e)
{
    out->items = arena_alloc(a, sizeof *out->items * (size_t)(limit > 0 ? limit : 1));
    if (!out->items) {
        sq_done(st);
        return err_set(e, ERR_NOMEM, NULL, "out of memory");
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == limit) {
            out->has_more = true;
            break;
        }
        sq_read_conv(st, 0, a, &out->items[out->n++]);
    }
    sq_done(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sq_fail(c, rc, e, "conversation list");
    return 0;
}

static int count_total(struct sq_conn *c, const struct conv_filter *f, const char *fts,
                       int64_t *total, struct err *e)
{
    char sql[1024];
    bool kept = !f->messaging_only && !f->outcome && !f->sentiment && !f->customer_id && !f->since && !f->until && !f->q;
    if (kept) {
        snprintf(sql, sizeof sql, "SELECT coalesce(sum(n), 0) FROM conversation_counts c");
        /* conversation_counts has the same column names, so the same WHERE applies */
        build_where(f, NULL, sql, sizeof sql);
    } else {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM conversations c");
        build_where(f, fts, sql, sizeof sql);
    }
    sqlite3_stmt *st = sq_prepare(c, sql, e);
    if (!st)
        return e->code;
    bind_filter(st, f, fts);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *total = sqlite3_column_int64(st, 0);
    sq_done(st);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, rc, e, "conversation count");
}

int sq_conv_list(struct store *s, const struct conv_filter *f, struct arena *a,
                 struct conv_page *out, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    memset(out, 0, sizeof *out);
    const char *fts = f->q ? sq_fts_query(f->q, a) : NULL;
    const char *key = sort_expr(f->sort);
    const char *dir = f->asc ? "ASC" : "DESC";
    /* The rows of the page are chosen on the conversations table alone (its indexes cover the
     * filters and the sort), then joined: a deep OFFSET then walks index entries, not joined
     * rows. */
    char inner[2048], sql[4096];
    snprintf(inner, sizeof inner, "SELECT c.id FROM conversations c");
    build_where(f, fts, inner, sizeof inner);
    size_t n = strlen(inner);
    if (f->has_cursor)
        n += (size_t)snprintf(inner + n, sizeof inner - n, "%s(%s, c.id) %s (:ckey, :cid)",
                              strstr(inner, " WHERE ") ? " AND " : " WHERE ", key,
                              f->asc ? ">" : "<");
    snprintf(inner + n, sizeof inner - n,
             " ORDER BY %s %s, c.id %s LIMIT :limit OFFSET :offset", key, dir, dir);
    if (!f->has_cursor && f->offset > 0)
        snprintf(sql, sizeof sql,
                 "SELECT " SQ_CONV_COLS SQ_CONV_FROM " WHERE c.id IN (%s) ORDER BY %s %s, c.id %s",
                 inner, key, dir, dir);
    else /* page 1 and cursor pages: one pass down the index is already the cheapest */
        snprintf(sql, sizeof sql, "SELECT " SQ_CONV_COLS SQ_CONV_FROM "%s",
                 inner + strlen("SELECT c.id FROM conversations c"));
    sqlite3_stmt *st = sq_prepare(c, sql, e);
    if (!st)
        return e->code;
    bind_filter(st, f, fts);
    sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"), f->limit + 1);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":offset"),
                       f->has_cursor ? 0 : f->offset);
    int rc = read_page(c, st, f->limit, a, out, e);
    if (rc < 0 || !f->want_total)
        return rc;
    return count_total(c, f, fts, &out->total, e);
}

int sq_timeline(struct store *s, int64_t customer_id, int limit, bool has_before,
                int64_t before_key, const char *before_id, struct arena *a,
                struct conv_page *out, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sq_prepare(
        c,
        "SELECT " SQ_CONV_COLS SQ_CONV_FROM " WHERE c.customer_id = ?1 AND "
        "(?2 = 0 OR (c.last_activity_at, c.id) < (?3, ?4)) "
        "ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?5",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, customer_id);
    sqlite3_bind_int(st, 2, has_before);
    sqlite3_bind_int64(st, 3, before_key);
    sq_bind_text(st, 4, has_before ? before_id : "");
    sqlite3_bind_int(st, 5, limit + 1);
    return read_page(c, st, limit, a, out, e);
}

int sq_timeline_stats(struct store *s, int64_t customer_id, struct timeline_stats *out,
                      struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "SELECT count(*), coalesce(sum(channel = 'voice'), 0), coalesce(sum(channel = 'sms'), 0), "
        "coalesce(sum(channel = 'email'), 0), avg(satisfaction_score), min(initiated_at), "
        "max(last_activity_at) FROM conversations WHERE customer_id = ?",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, customer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->total = sqlite3_column_int64(st, 0);
        out->voice = sqlite3_column_int64(st, 1);
        out->sms = sqlite3_column_int64(st, 2);
        out->email = sqlite3_column_int64(st, 3);
        out->avg_score = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1
                                                                   : sqlite3_column_double(st, 4);
        out->first_contact_at = sq_col_ts(st, 5);
        out->last_contact_at = sq_col_ts(st, 6);
    }
    sq_done(st);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, rc, e, "timeline stats");
}

#define MSG_COLS                                                                               \
    "m.id, m.conversation_id, m.channel, m.direction, m.content, m.sent_at, m.processed, "     \
    "m.metadata, "                                                                             \
    "v.duration_seconds, v.recording_url, v.transcript_segments, v.function_calls, "           \
    "v.interruption_count, v.audio_quality_score, "                                            \
    "s.from_number, s.to_number, s.provider_message_id, s.delivery_status, s.error_code, "     \
    "s.error_message, s.segments, s.media_urls, s.delivered_at, s.failed_at, "                 \
    "e.subject, e.from_address, e.to_address, e.cc_addresses, e.bcc_addresses, "              \
    "e.in_reply_to, e.\"references\", e.body_text, e.body_html, e.attachments, "               \
    "e.provider_message_id, e.delivery_status, e.opened_at, e.clicked_at"
#define MSG_FROM                                                                               \
    " FROM communication_messages m "                                                          \
    "LEFT JOIN voice_call_details v ON v.message_id = m.id "                                   \
    "LEFT JOIN sms_details s ON s.message_id = m.id "                                          \
    "LEFT JOIN email_details e ON e.message_id = m.id "

static double col_real_or(sqlite3_stmt *st, int i, double none)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? none : sqlite3_column_double(st, i);
}

static int read_msg(sqlite3_stmt *st, struct arena *a, struct message *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(m->conversation_id, sizeof m->conversation_id, "%s",
             (const char *)sqlite3_column_text(st, 1));
    m->channel = sq_col_enum(st, 2, a);
    m->direction = sq_col_enum(st, 3, a);
    m->content = sq_col_text(st, 4, a);
    m->sent_at = sq_col_ts(st, 5);
    m->processed = sqlite3_column_int(st, 6) != 0;
    m->metadata = sq_col_text(st, 7, a);
    if (m->channel && strcmp(m->channel, "voice") == 0) {
        struct msg_voice *v = arena_calloc(a, sizeof *v);
        if (!v)
            return ERR_NOMEM;
        v->duration_seconds = col_real_or(st, 8, -1);
        v->recording_url = sq_col_text(st, 9, a);
        v->transcript_segments = sq_col_text(st, 10, a);
        v->function_calls = sq_col_text(st, 11, a);
        v->interruption_count = sqlite3_column_int64(st, 12);
        v->audio_quality_score = col_real_or(st, 13, -1);
        m->voice = v;
    } else if (m->channel && strcmp(m->channel, "sms") == 0) {
        struct msg_sms *x = arena_calloc(a, sizeof *x);
        if (!x)
            return ERR_NOMEM;
        x->from_number = sq_col_text(st, 14, a);
        x->to_number = sq_col_text(st, 15, a);
        x->provider_message_id = sq_col_text(st, 16, a);
        x->delivery_status = sq_col_enum(st, 17, a);
        x->error_code = sq_col_text(st, 18, a);
        x->error_message = sq_col_text(st, 19, a);
        x->segments = sqlite3_column_int(st, 20);
        x->media_urls = sq_col_text(st, 21, a);
        x->delivered_at = sq_col_ts(st, 22);
        x->failed_at = sq_col_ts(st, 23);
        m->sms = x;
    } else if (m->channel && strcmp(m->channel, "email") == 0) {
        struct msg_email *x = arena_calloc(a, sizeof *x);
        if (!x)
            return ERR_NOMEM;
        x->subject = sq_col_text(st, 24, a);
        x->from_address = sq_col_text(st, 25, a);
        x->to_address = sq_col_text(st, 26, a);
        x->cc_addresses = sq_col_text(st, 27, a);
        x->bcc_addresses = sq_col_text(st, 28, a);
        x->in_reply_to = sq_col_text(st, 29, a);
        x->references = sq_col_text(st, 30, a);
        x->body_text = sq_col_text(st, 31, a);
        x->body_html = sq_col_text(st, 32, a);
        x->attachments = sq_col_text(st, 33, a);
        x->provider_message_id = sq_col_text(st, 34, a);
        x->delivery_status = sq_col_enum(st, 35, a);
        x->opened_at = sq_col_ts(st, 36);
        x->clicked_at = sq_col_ts(st, 37);
        m->email = x;
    }
    return 0;
}

/* Reads every row of st into a growing array. */
static int read_msgs(struct sq_conn *c, sqlite3_stmt *st, struct arena *a, struct message **out,
                     int *n, struct err *e)
{
    int cap = 16;
    *n = 0;
    *out = arena_alloc(a, sizeof **out * (size_t)cap);
    int rc = SQLITE_NOMEM;
    while (*out && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            struct message *bigger = arena_alloc(a, sizeof **out * (size_t)cap * 2);
            if (!bigger) {
                *out = NULL;
                break;
            }
            memcpy(bigger, *out, sizeof **out * (size_t)cap);
            *out = bigger;
            cap *= 2;
        }
        if (read_msg(st, a, &(*out)[(*n)++]) < 0) {
            *out = NULL;
            break;
        }
    }
    sq_done(st);
    if (!*out)
        return err_set(e, ERR_NOMEM, NULL, "out of memory reading messages");
    return rc == SQLITE_DONE ? 0 : sq_fail(c, rc, e, "messages");
}

int sq_msgs_for(struct store *s, const char *conv_id, struct arena *a, struct message **out,
                int *n, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c, "SELECT " MSG_COLS MSG_FROM "WHERE m.conversation_id = ? ORDER BY m.sent_at, m.id", e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, conv_id, -1, SQLITE_STATIC);
    return read_msgs(c, st, a, out, n, e);
}

int sq_conv_detail(struct store *s, const char *id, struct arena *a, struct detail *out,
                   struct err *e)
{
    memset(out, 0, sizeof *out);
    int rc = sq_conv_get(s, id, a, &out->conv, e);
    if (rc < 0)
        return rc;
    if ((rc = sq_msgs_for(s, id, a, &out->msgs, &out->n_msgs, e)) < 0)
        return rc;
    struct sq_conn *c = sq_conn_get(s, e);
    sqlite3_stmt *st = sq_prepare(
        c,
        "SELECT id, event_type, timestamp, details, message_id FROM communication_events "
        "WHERE conversation_id = ? ORDER BY timestamp, id",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int cap = 16;
    out->events = arena_alloc(a, sizeof *out->events * (size_t)cap);
    int step = SQLITE_NOMEM;
    while (out->events && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n_events == cap) {
            struct comm_event *bigger = arena_alloc(a, sizeof *bigger * (size_t)cap * 2);
            if (!bigger) {
                out->events = NULL;
                break;
            }
            memcpy(bigger, out->events, sizeof *bigger * (size_t)cap);
            out->events = bigger;
            cap *= 2;
        }
        struct comm_event *ev = &out->events[out->n_events++];
        snprintf(ev->id, sizeof ev->id, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(ev->conversation_id, sizeof ev->conversation_id, "%s", id);
        ev->event_type = sq_col_text(st, 1, a);
        ev->timestamp = sq_col_ts(st, 2);
        ev->details = sq_col_text(st, 3, a);
        ev->message_id = sq_col_text(st, 4, a);
    }
    sq_done(st);
    if (!out->events)
        return err_set(e, ERR_NOMEM, NULL, "out of memory reading events");
    return step == SQLITE_DONE ? 0 : sq_fail(c, step, e, "events");
}

int sq_msg_insert(struct store *s, const struct message *m, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "INSERT INTO communication_messages(id, conversation_id, channel, direction, content, "
        "sent_at, processed, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->conversation_id, -1, SQLITE_STATIC);
    sq_bind_text(st, 3, m->channel);
    sq_bind_text(st, 4, m->direction);
    sq_bind_text(st, 5, m->content);
    sqlite3_bind_int64(st, 6, m->sent_at);
    sqlite3_bind_int(st, 7, m->processed);
    sq_bind_text(st, 8, m->metadata);
    int rc = sq_exec_stmt(c, st, e, "message insert");
    if (rc < 0)
        return rc;
    if (m->content && *m->content)
        sq_search_wrote(c);
    if (m->voice) {
        const struct msg_voice *v = m->voice;
        st = sq_prepare(c,
                        "INSERT INTO voice_call_details(message_id, duration_seconds, "
                        "recording_url, transcript_segments, function_calls, interruption_count, "
                        "audio_quality_score) VALUES (?, ?, ?, coalesce(?, '[]'), "
                        "coalesce(?, '[]'), ?, ?)",
                        e);
        if (!st)
            return e->code;
        sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        if (v->duration_seconds >= 0)
            sqlite3_bind_double(st, 2, v->duration_seconds);
        sq_bind_text(st, 3, v->recording_url);
        sq_bind_text(st, 4, v->transcript_segments);
        sq_bind_text(st, 5, v->function_calls);
        sqlite3_bind_int64(st, 6, v->interruption_count);
        if (v->audio_quality_score >= 0)
            sqlite3_bind_double(st, 7, v->audio_quality_score);
        rc = sq_exec_stmt(c, st, e, "voice details insert");
    } else if (m->sms) {
        const struct msg_sms *x = m->sms;
        st = sq_prepare(c,
                        "INSERT INTO sms_details(message_id, from_number, to_number, "
                        "provider_message_id, delivery_status, error_code, error_message, "
                        "segments, media_urls, delivered_at, failed_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, '[]'), ?, ?)",
                        e);
        if (!st)
            return e->code;
        sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        sq_bind_text(st, 2, x->from_number);
        sq_bind_text(st, 3, x->to_number);
        sq_bind_text(st, 4, x->provider_message_id);
        sq_bind_text(st, 5, x->delivery_status ? x->delivery_status : "queued");
        sq_bind_text(st, 6, x->error_code);
        sq_bind_text(st, 7, x->error_message);
        sqlite3_bind_int(st, 8, x->segments > 0 ? x->segments : 1);
        sq_bind_text(st, 9, x->media_urls);
        sq_bind_ts(st, 10, x->delivered_at);
        sq_bind_ts(st, 11, x->failed_at);
        rc = sq_exec_stmt(c, st, e, "sms details insert");
    } else if (m->email) {
        const struct msg_email *x = m->email;
        st = sq_prepare(c,
                        "INSERT INTO email_details(message_id, subject, from_address, to_address, "
                        "cc_addresses, bcc_addresses, in_reply_to, \"references\", body_text, "
                        "body_html, attachments, provider_message_id, delivery_status, opened_at, "
                        "clicked_at) VALUES (?, ?, ?, ?, coalesce(?, '[]'), coalesce(?, '[]'), ?, "
                        "coalesce(?, '[]'), ?, ?, coalesce(?, '[]'), ?, ?, ?, ?)",
                        e);
        if (!st)
            return e->code;
        sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        sq_bind_text(st, 2, x->subject);
        sq_bind_text(st, 3, x->from_address);
        sq_bind_text(st, 4, x->to_address);
        sq_bind_text(st, 5, x->cc_addresses);
        sq_bind_text(st, 6, x->bcc_addresses);
        sq_bind_text(st, 7, x->in_reply_to);
        sq_bind_text(st, 8, x->references);
        sq_bind_text(st, 9, x->body_text);
        sq_bind_text(st, 10, x->body_html);
        sq_bind_text(st, 11, x->attachments);
        sq_bind_text(st, 12, x->provider_message_id);
        sq_bind_text(st, 13, x->delivery_status);
        sq_bind_ts(st, 14, x->opened_at);
        sq_bind_ts(st, 15, x->clicked_at);
        rc = sq_exec_stmt(c, st, e, "email details insert");
    }
    if (rc < 0 || m->conv_counted)
        return rc;
    st = sq_prepare(c,
                    "UPDATE conversations SET message_count = message_count + 1, "
                    "last_message_preview = CASE WHEN ?2 >= last_activity_at OR "
                    "last_message_preview IS NULL THEN ?3 ELSE last_message_preview END, "
                    "last_activity_at = max(last_activity_at, ?2) WHERE id = ?1",
                    e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, m->conversation_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, m->sent_at);
    sq_bind_text(st, 3, m->preview);
    return sq_exec_stmt(c, st, e, "conversation activity");
}

int sq_event_insert(struct store *s, const struct comm_event *ev, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    sqlite3_stmt *st = sq_prepare(
        c,
        "INSERT INTO communication_events(id, conversation_id, event_type, timestamp, details, "
        "message_id) VALUES (?, ?, ?, ?, ?, ?)",
        e);
    if (!st)
        return e->code;
    sqlite3_bind_text(st, 1, ev->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->conversation_id, -1, SQLITE_STATIC);
    sq_bind_text(st, 3, ev->event_type);
    sqlite3_bind_int64(st, 4, ev->timestamp);
    sq_bind_text(st, 5, ev->details);
    sq_bind_text(st, 6, ev->message_id);
    return sq_exec_stmt(c, st, e, "event insert");
}

int sq_count_conversations(struct store *s, int64_t *n, struct err *e)
{
    struct sq_conn *c = sq_conn_get(s, e);
    if (!c)
        return e->code;
    return sq_count(c, "SELECT coalesce(sum(n), 0) FROM conversation_counts", n, e);
}
