/*
 * store_int.h - what a storage backend provides: the struct store_ops vtable.
 *
 * Layer: store, private. store.c forwards every public store_* call through `ops`; a backend
 * (sqlite/sqlite.c, later postgres/) fills one static instance and a constructor. Only files
 * under src/store/ include this header.
 */
#ifndef SB_STORE_INT_H
#define SB_STORE_INT_H

#include "store/store.h"

struct store_ops {
    const char *name;
    void (*close)(struct store *s);
    int (*migrate)(struct store *s, int *from, int *to, struct err *e);
    int (*schema_version)(struct store *s, int *current, int *latest, struct err *e);
    int (*ping)(struct store *s, struct err *e);
    int (*bulk_mode)(struct store *s, struct err *e);
    int (*bulk_begin)(struct store *s, struct err *e);
    int (*bulk_pending)(struct store *s, int *objects, struct err *e);
    int (*bulk_finish)(struct store *s, store_bulk_step_fn step, void *ctx, struct err *e);
    int (*writer_mode)(struct store *s, struct err *e);
    int (*scan_mode)(struct store *s, struct err *e);
    int (*search_flush)(struct store *s, enum search_flush how, struct err *e);
    int (*search_current)(struct store *s, bool *current, struct err *e);
    int (*begin)(struct store *s, bool write, struct err *e);
    int (*commit)(struct store *s, struct err *e);
    void (*rollback)(struct store *s);
    int (*customer_insert)(struct store *s, struct customer *c, struct err *e);
    int (*customer_update)(struct store *s, int64_t id, const struct customer_update *u,
                           struct err *e);
    int (*customer_get)(struct store *s, int64_t id, struct arena *a, struct customer *out,
                        struct err *e);
    int (*customer_by_phone)(struct store *s, const char *e164, struct arena *a,
                             struct customer *out, struct err *e);
    int (*customer_by_email)(struct store *s, const char *email, struct arena *a,
                             struct customer *out, struct err *e);
    int (*customer_list)(struct store *s, const struct customer_filter *f, struct arena *a,
                         struct customer_page *out, struct err *e);
    int (*appointments_for)(struct store *s, int64_t customer_id, struct arena *a,
                            struct appointment **out, int *n, struct err *e);
    int (*appointment_insert)(struct store *s, struct appointment *ap, struct err *e);
    int (*conv_insert)(struct store *s, const struct conversation *c, struct err *e);
    int (*conv_update)(struct store *s, const char *id, const struct conv_update *u,
                       struct err *e);
    int (*conv_get)(struct store *s, const char *id, struct arena *a, struct conversation *out,
                    struct err *e);
    int (*conv_list)(struct store *s, const struct conv_filter *f, struct arena *a,
                     struct conv_page *out, struct err *e);
    int (*conv_detail)(struct store *s, const char *id, struct arena *a, struct detail *out,
                       struct err *e);
    int (*timeline)(struct store *s, int64_t customer_id, int limit, bool has_before,
                    int64_t before_key, const char *before_id, struct arena *a,
                    struct conv_page *out, struct err *e);
    int (*timeline_stats)(struct store *s, int64_t customer_id, struct timeline_stats *out,
                          struct err *e);
    int (*conv_active_thread)(struct store *s, int64_t customer_id, const char *channel,
                              char id[UUID_STR_LEN + 1], int64_t *last_activity_at,
                              struct err *e);
    int (*msg_insert)(struct store *s, const struct message *m, struct err *e);
    int (*msgs_for)(struct store *s, const char *conv_id, struct arena *a, struct message **out,
                    int *n, struct err *e);
    int (*event_insert)(struct store *s, const struct comm_event *ev, struct err *e);
    int (*token_insert)(struct store *s, const char *name, const char *role, const char *hash,
                        int64_t *id, struct err *e);
    int (*token_lookup)(struct store *s, const char *hash, char role[16], int64_t *id,
                        char name[64], struct err *e);
    int (*sms_find)(struct store *s, const char *sid, char msg_id[UUID_STR_LEN + 1],
                    char conv_id[UUID_STR_LEN + 1], struct err *e);
    int (*sms_state)(struct store *s, const char *sid, struct arena *a, struct sms_state *out,
                     struct err *e);
    int (*sms_update)(struct store *s, const char *msg_id, const struct sms_update *u,
                      struct err *e);
    int (*email_update)(struct store *s, const char *msg_id, const char *provider_message_id,
                        const char *status, struct err *e);
    int (*idem_claim)(struct store *s, const char *key, const char *hash, int64_t now,
                      int64_t expire_before, struct arena *a, struct idem_record *out,
                      struct err *e);
    int (*idem_finish)(struct store *s, const char *key, int status, const char *response,
                       struct err *e);
    int (*idem_release)(struct store *s, const char *key, struct err *e);
    int (*optout_set)(struct store *s, const char *phone, bool opted_out, const char *keyword,
                      int64_t at, const char *message_id, struct err *e);
    int (*optout_get)(struct store *s, const char *phone, bool *opted_out, struct err *e);
    int (*conv_scan)(struct store *s, const struct conv_scan *q,
                     int (*on_row)(void *ctx, const struct conv_stat_row *r), void *ctx,
                     struct err *e);
    int (*customer_import)(struct store *s, const struct customer_import *c, struct err *e);
    int (*appointment_import)(struct store *s, const struct appointment_import *ap, struct err *e);
    int (*customer_exists)(struct store *s, int64_t id, bool *exists, struct err *e);
    int (*appointment_exists)(struct store *s, int64_t id, bool *exists, struct err *e);
    int (*legacy_done)(struct store *s, int64_t lo, int64_t hi, int64_t *ids, int max, int *n, struct err *e);
    int (*legacy_map_insert)(struct store *s, int64_t legacy_id, const char *session_id, const char *conv_id, struct err *e);
    int (*legacy_scan)(struct store *s, int64_t after, int64_t upto, int (*cb)(void *ctx, const struct legacy_target_row *r), void *ctx, struct err *e);
    int (*count_customers)(struct store *s, int64_t *customers, int64_t *appointments, struct err *e);
    int (*legacy_map_dual)(struct store *s, int64_t legacy_id, const char *session_id, const char *conv_id, struct err *e);
    int (*legacy_call_write)(struct store *s, const struct legacy_call_out *c, int64_t *legacy_id, struct err *e);
    int (*has_legacy_tables)(struct store *s, bool *yes, struct err *e);
    int (*outbox_add)(struct store *s, const char *conv_id, const char *payload, int64_t now, struct err *e);
    int (*outbox_due)(struct store *s, int64_t now, int limit, struct arena *a, struct outbox_item **items, int *n, struct err *e);
    int (*outbox_delivered)(struct store *s, int64_t id, int64_t legacy_id, int64_t now, struct err *e);
    int (*outbox_failed)(struct store *s, int64_t id, int64_t next_at, const char *error, struct err *e);
    int (*outbox_pending)(struct store *s, int64_t *n, int64_t *oldest, struct err *e);
    int (*count_conversations)(struct store *s, int64_t *n, struct err *e);
};

/* Every backend's handle starts with this. */
struct store {
    const struct store_ops *ops;
};

/* Backend constructors: parse their own part of the URL. */
struct store *sqlite_store_open(const char *path, struct err *e);

/* Process-wide SQLite settings; whatever opens a SQLite database first (a store, a legacy
 * source) calls it, since SQLite takes them only before its first connection. */
void sqlite_configure(void);

/* Interned enumeration strings, so rows need not copy them: returns the static copy of s when
 * it is a known channel/status/direction/sentiment/outcome, else NULL. */
const char *store_intern(const char *s);

#endif
