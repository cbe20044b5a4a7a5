/*
 * store.c - picks a backend from the database URL and forwards each call to it.
 *
 * Layer: store. See store.h for the contract and store_int.h for the backend vtable.
 */
#include "store/store_int.h"

#include <string.h>

struct store *store_open(const char *url, struct err *e)
{
    if (!url || !*url) {
        err_set(e, ERR_INVALID, "db", "no database given");
        return NULL;
    }
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        err_set(e, ERR_INVALID, "db",
                "the PostgreSQL backend is not built into this version; use a SQLite path");
        return NULL;
    }
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
    if (strncmp(path, "//", 2) == 0)
        path += 2;
    return sqlite_store_open(path, e);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

const char *store_backend(const struct store *s)
{
    return s->ops->name;
}

int64_t store_conv_sort_key(const struct conversation *c, enum conv_sort sort)
{
    switch (sort) {
    case CONV_SORT_INITIATED: return c->initiated_at;
    case CONV_SORT_SCORE: return c->satisfaction_score;
    default: return c->last_activity_at;
    }
}

static const char *const INTERNED[] = {
    "voice", "sms", "email", "active", "completed", "failed", "inbound", "outbound",
    "positive", "neutral", "negative", "mixed", "appointment_scheduled",
    "appointment_rescheduled", "appointment_cancelled", "info_request", "complaint", "escalated",
    "abandoned", "unresolved", "queued", "sending", "sent", "delivered", "undelivered",
    "received", "read", "admin", "staff", "viewer",
};

const char *store_intern(const char *s)
{
    if (!s || !*s)
        return NULL;
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof INTERNED / sizeof INTERNED[0]; i++) /* hot: 4 calls a row */
        if (INTERNED[i][0] == s[0] && strncmp(INTERNED[i], s, n + 1) == 0)
            return INTERNED[i];
    return NULL;
}

#define FWD(fn, ...) return s->ops->fn(s, __VA_ARGS__)

int store_migrate(struct store *s, int *from, int *to, struct err *e) { FWD(migrate, from, to, e); }
int store_schema_version(struct store *s, int *cur, int *latest, struct err *e)
{
    FWD(schema_version, cur, latest, e);
}
int store_ping(struct store *s, struct err *e) { FWD(ping, e); }
int store_bulk_mode(struct store *s, struct err *e) { FWD(bulk_mode, e); }
int store_bulk_begin(struct store *s, struct err *e) { FWD(bulk_begin, e); }
int store_bulk_pending(struct store *s, int *objects, struct err *e) { FWD(bulk_pending, objects, e); }
int store_bulk_finish(struct store *s, store_bulk_step_fn step, void *ctx, struct err *e)
{
    FWD(bulk_finish, step, ctx, e);
}
int store_writer_mode(struct store *s, struct err *e) { FWD(writer_mode, e); }
int store_scan_mode(struct store *s, struct err *e) { FWD(scan_mode, e); }
int store_search_flush(struct store *s, enum search_flush how, struct err *e)
{
    FWD(search_flush, how, e);
}
int store_search_current(struct store *s, bool *current, struct err *e)
{
    FWD(search_current, current, e);
}
int store_begin(struct store *s, bool write, struct err *e) { FWD(begin, write, e); }
int store_commit(struct store *s, struct err *e) { FWD(commit, e); }
void store_rollback(struct store *s) { s->ops->rollback(s); }
int store_customer_insert(struct store *s, struct customer *c, struct err *e)
{
    FWD(customer_insert, c, e);
}
int store_customer_update(struct store *s, int64_t id, const struct customer_update *u,
                          struct err *e)
{
    FWD(customer_update, id, u, e);
}
int store_customer_get(struct store *s, int64_t id, struct arena *a, struct customer *out,
                       struct err *e)
{
    FWD(customer_get, id, a, out, e);
}
int store_customer_by_phone(struct store *s, const char *e164, struct arena *a,
                            struct customer *out, struct err *e)
{
    FWD(customer_by_phone, e164, a, out, e);
}
int store_customer_by_email(struct store *s, const char *email, struct arena *a,
                            struct customer *out, struct err *e)
{
    FWD(customer_by_email, email, a, out, e);
}
int store_customer_list(struct store *s, const struct customer_filter *f, struct arena *a,
                        struct customer_page *out, struct err *e)
{
    FWD(customer_list, f, a, out, e);
}
int store_appointments_for(struct store *s, int64_t customer_id, struct arena *a,
                           struct appointment **out, int *n, struct err *e)
{
    FWD(appointments_for, customer_id, a, out, n, e);
}
int store_appointment_insert(struct store *s, struct appointment *ap, struct err *e)
{
    FWD(appointment_insert, ap, e);
}
int store_conv_insert(struct store *s, const struct conversation *c, struct err *e)
{
    FWD(conv_insert, c, e);
}
int store_conv_update(struct store *s, const char *id, const struct conv_update *u,
                      struct err *e)
{
    FWD(conv_update, id, u, e);
}
int store_conv_get(struct store *s, const char *id, struct arena *a, struct conversation *out,
                   struct err *e)
{
    FWD(conv_get, id, a, out, e);
}
int store_conv_list(struct store *s, const struct conv_filter *f, struct arena *a,
                    struct conv_page *out, struct err *e)
{
    FWD(conv_list, f, a, out, e);
}
int store_conv_detail(struct store *s, const char *id, struct arena *a, struct detail *out,
                      struct err *e)
{
    FWD(conv_detail, id, a, out, e);
}
int store_timeline(struct store *s, int64_t customer_id, int limit, bool has_before,
                   int64_t before_key, const char *before_id, struct arena *a,
                   struct conv_page *out, struct err *e)
{
    FWD(timeline, customer_id, limit, has_before, before_key, before_id, a, out, e);
}
int store_timeline_stats(struct store *s, int64_t customer_id, struct timeline_stats *out,
                         struct err *e)
{
    FWD(timeline_stats, customer_id, out, e);
}
int store_conv_active_thread(struct store *s, int64_t customer_id, const char *channel,
                             char id[UUID_STR_LEN + 1], int64_t *last_activity_at,
                             struct err *e)
{
    FWD(conv_active_thread, customer_id, channel, id, last_activity_at, e);
}
int store_msg_insert(struct store *s, const struct message *m, struct err *e)
{
    FWD(msg_insert, m, e);
}
int store_msgs_for(struct store *s, const char *conv_id, struct arena *a, struct message **out,
                   int *n, struct err *e)
{
    FWD(msgs_for, conv_id, a, out, n, e);
}
int store_event_insert(struct store *s, const struct comm_event *ev, struct err *e)
{
    FWD(event_insert, ev, e);
}
int store_token_insert(struct store *s, const char *name, const char *role, const char *hash,
                       int64_t *id, struct err *e)
{
    FWD(token_insert, name, role, hash, id, e);
}
int store_token_lookup(struct store *s, const char *hash, char role[16], int64_t *id,
                       char name[64], struct err *e)
{
    FWD(token_lookup, hash, role, id, name, e);
}
int store_count_conversations(struct store *s, int64_t *n, struct err *e)
{
    FWD(count_conversations, n, e);
}
int store_sms_find(struct store *s, const char *sid, char msg_id[UUID_STR_LEN + 1],
                   char conv_id[UUID_STR_LEN + 1], struct err *e)
{
    FWD(sms_find, sid, msg_id, conv_id, e);
}
int store_optout_set(struct store *s, const char *phone, bool opted_out, const char *keyword,
                     int64_t at, const char *message_id, struct err *e)
{
    FWD(optout_set, phone, opted_out, keyword, at, message_id, e);
}
int store_optout_get(struct store *s, const char *phone, bool *opted_out, struct err *e)
{
    FWD(optout_get, phone, opted_out, e);
}
int store_conv_scan(struct store *s, const struct conv_scan *q,
                    int (*on_row)(void *ctx, const struct conv_stat_row *r), void *ctx,
                    struct err *e)
{
    FWD(conv_scan, q, on_row, ctx, e);
}
int store_sms_state(struct store *s, const char *sid, struct arena *a, struct sms_state *out,
                    struct err *e)
{
    FWD(sms_state, sid, a, out, e);
}
int store_sms_update(struct store *s, const char *msg_id, const struct sms_update *u,
                     struct err *e)
{
    FWD(sms_update, msg_id, u, e);
}
int store_email_update(struct store *s, const char *msg_id, const char *provider_message_id,
                       const char *status, struct err *e)
{
    FWD(email_update, msg_id, provider_message_id, status, e);
}
int store_idem_claim(struct store *s, const char *key, const char *hash, int64_t now,
                     int64_t expire_before, struct arena *a, struct idem_record *out,
                     struct err *e)
{
    FWD(idem_claim, key, hash, now, expire_before, a, out, e);
}
int store_idem_finish(struct store *s, const char *key, int status, const char *response,
                      struct err *e)
{
    FWD(idem_finish, key, status, response, e);
}
int store_idem_release(struct store *s, const char *key, struct err *e)
{
    FWD(idem_release, key, e);
}
int store_customer_import(struct store *s, const struct customer_import *c, struct err *e)
{
    FWD(customer_import, c, e);
}
int store_appointment_import(struct store *s, const struct appointment_import *ap, struct err *e)
{
    FWD(appointment_import, ap, e);
}
int store_customer_exists(struct store *s, int64_t id, bool *exists, struct err *e)
{
    FWD(customer_exists, id, exists, e);
}
int store_appointment_exists(struct store *s, int64_t id, bool *exists, struct err *e)
{
    FWD(appointment_exists, id, exists, e);
}
int store_legacy_done(struct store *s, int64_t lo, int64_t hi, int64_t *ids, int max, int *n, struct err *e)
{
    FWD(legacy_done, lo, hi, ids, max, n, e);
}
int store_legacy_map_insert(struct store *s, int64_t legacy_id, const char *session_id, const char *conv_id, struct err *e)
{
    FWD(legacy_map_insert, legacy_id, session_id, conv_id, e);
}
int store_legacy_scan(struct store *s, int64_t after, int64_t upto, int (*cb)(void *ctx, const struct legacy_target_row *r), void *ctx, struct err *e)
{
    FWD(legacy_scan, after, upto, cb, ctx, e);
}
int store_count_customers(struct store *s, int64_t *customers, int64_t *appointments, struct err *e)
{
    FWD(count_customers, customers, appointments, e);
}
int store_legacy_map_dual(struct store *s, int64_t legacy_id, const char *session_id, const char *conv_id, struct err *e)
{
    FWD(legacy_map_dual, legacy_id, session_id, conv_id, e);
}
int store_legacy_call_write(struct store *s, const struct legacy_call_out *c, int64_t *legacy_id, struct err *e)
{
    FWD(legacy_call_write, c, legacy_id, e);
}
int store_has_legacy_tables(struct store *s, bool *yes, struct err *e)
{
    FWD(has_legacy_tables, yes, e);
}
int store_outbox_add(struct store *s, const char *conv_id, const char *payload, int64_t now, struct err *e)
{
    FWD(outbox_add, conv_id, payload, now, e);
}
int store_outbox_due(struct store *s, int64_t now, int limit, struct arena *a, struct outbox_item **items, int *n, struct err *e)
{
    FWD(outbox_due, now, limit, a, items, n, e);
}
int store_outbox_delivered(struct store *s, int64_t id, int64_t legacy_id, int64_t now, struct err *e)
{
    FWD(outbox_delivered, id, legacy_id, now, e);
}
int store_outbox_failed(struct store *s, int64_t id, int64_t next_at, const char *error, struct err *e)
{
    FWD(outbox_failed, id, next_at, error, e);
}
int store_outbox_pending(struct store *s, int64_t *n, int64_t *oldest, struct err *e)
{
    FWD(outbox_pending, n, oldest, e);
}
