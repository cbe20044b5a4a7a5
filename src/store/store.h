/*
 * store.h - the storage interface: every read and write of the database goes through here.
 *
 * Layer: store (called by domain/, cli/ and, for reads, api/; calls core/ only). There is no SQL,
 * no driver type and no driver error above this file: backends (sqlite/, later postgres/) fill a
 * struct store_ops and translate their errors to core/err.h codes, keeping the driver's text in
 * struct err. The backend is picked from the database URL (`store_open`).
 *
 * Threads: a struct store is shared by all threads; each thread gets its own connection on first
 * use (prepared statements are cached per connection). Transactions (store_begin/commit/rollback)
 * are per thread. Busy databases are retried inside the backend; ERR_AGAIN escapes only when the
 * wait is over.
 *
 * Memory: every result is allocated from the caller's arena and lives as long as it does. Input
 * structs are only read during the call.
 *
 * Time: every timestamp is int64 microseconds since the epoch, 0 meaning "none" (NULL).
 */
#ifndef SB_STORE_H
#define SB_STORE_H

#include "core/arena.h"
#include "core/err.h"
#include "core/ids.h"

#include <stdbool.h>
#include <stdint.h>

struct store;

/* ---- records ------------------------------------------------------------------------------ */

struct customer {
    int64_t id;
    const char *name, *phone, *email; /* phone E.164, email lower-case; NULL when unknown */
    bool is_new_client;
    int64_t created_at, updated_at;
    int64_t conversation_count; /* filled by reads that say so */
    int64_t last_contact_at;
};

struct appointment {
    int64_t id, customer_id;
    const char *service, *status, *provider, *notes;
    int64_t starts_at, created_at;
    int duration_minutes;
};

struct conversation {
    char id[UUID_STR_LEN + 1];
    int64_t customer_id; /* 0 = unidentified */
    const char *customer_name, *customer_phone, *customer_email; /* joined on reads */
    const char *channel, *status;
    int64_t initiated_at, last_activity_at, completed_at;
    int satisfaction_score; /* 1..10, 0 = NULL */
    const char *sentiment, *outcome, *subject, *ai_summary;
    const char *metadata;          /* JSON object text, NULL = {} */
    const char *score_explanation; /* JSON text or NULL */
    int64_t message_count;
    const char *last_message_preview;
};

struct msg_voice {
    double duration_seconds; /* < 0 = NULL */
    const char *recording_url;
    const char *transcript_segments; /* JSON array text */
    const char *function_calls;      /* JSON array text */
    int64_t interruption_count;
    double audio_quality_score; /* < 0 = NULL */
};

struct msg_sms {
    const char *from_number, *to_number, *provider_message_id, *delivery_status;
    const char *error_code, *error_message;
    int segments;
    const char *media_urls; /* JSON array text */
    int64_t delivered_at, failed_at;
};

struct msg_email {
    const char *subject, *from_address, *to_address;
    const char *cc_addresses, *bcc_addresses, *references, *attachments; /* JSON array text */
    const char *in_reply_to, *body_text, *body_html, *provider_message_id, *delivery_status;
    int64_t opened_at, clicked_at;
};

struct message {
    char id[UUID_STR_LEN + 1];
    char conversation_id[UUID_STR_LEN + 1];
    const char *channel, *direction, *content;
    int64_t sent_at;
    bool processed;
    const char *metadata; /* JSON object text or NULL */
    const char *preview;  /* insert only: the conversation's new last_message_preview */
    bool conv_counted;    /* insert only: the conversation row already counts this message
                           * (bulk import), so its activity is not updated */
    /* exactly one of these is set, matching channel */
    struct msg_voice *voice;
    struct msg_sms *sms;
    struct msg_email *email;
};

struct comm_event {
    char id[UUID_STR_LEN + 1];
    char conversation_id[UUID_STR_LEN + 1];
    const char *event_type;
    int64_t timestamp;
    const char *details; /* JSON text or NULL */
    const char *message_id; /* NULL when not tied to a message */
};

struct api_token {
    int64_t id;
    const char *name, *role;
    int64_t created_at;
};

/* ---- queries ------------------------------------------------------------------------------ */

enum conv_sort { CONV_SORT_LAST_ACTIVITY, CONV_SORT_INITIATED, CONV_SORT_SCORE };

struct conv_filter {
    const char *channel, *status, *outcome, *sentiment; /* NULL = any */
    int64_t customer_id;                                /* 0 = any */
    int64_t since, until;                               /* 0 = open */
    const char *q;                                      /* full-text words or NULL */
    bool messaging_only;                                /* sms and email only */
    enum conv_sort sort;
    bool asc;
    int64_t offset; /* rows to skip (page paging); ignored with a cursor */
    int limit;      /* rows wanted (1..100) */
    bool has_cursor; /* keyset: rows strictly after (cursor_key, cursor_id) in sort order */
    int64_t cursor_key;
    char cursor_id[UUID_STR_LEN + 1];
    bool want_total;
};

struct conv_page {
    struct conversation *items;
    int n;
    bool has_more; /* another row follows the last one returned */
    int64_t total;
};

/* Sort key of a conversation for the given order (the value a cursor carries). */
int64_t store_conv_sort_key(const struct conversation *c, enum conv_sort sort);

struct customer_filter {
    const char *search; /* raw text; matched against name, email (case-insensitive) and phone */
    const char *search_phone; /* the search text normalised to E.164, or NULL */
    int64_t offset;
    int limit;
};

struct customer_page {
    struct customer *items;
    int n;
    int64_t total;
};

struct timeline_stats {
    int64_t total, voice, sms, email;
    double avg_score; /* < 0 = NULL */
    int64_t first_contact_at, last_contact_at;
};

struct detail {
    struct conversation conv;
    struct message *msgs;
    int n_msgs;
    struct comm_event *events;
    int n_events;
};

/* ---- patches ------------------------------------------------------------------------------ */

struct conv_update {
    const char *status;  /* NULL = unchanged */
    const char *outcome, *subject, *sentiment, *ai_summary, *score_explanation;
    bool set_completed_at;
    int64_t completed_at; /* with set_completed_at; 0 = NULL */
    bool set_score;
    int satisfaction_score; /* with set_score; 0 = NULL */
    bool set_last_activity;
    int64_t last_activity_at;
};

struct customer_update {
    const char *name, *phone, *email; /* NULL = unchanged */
    bool clear_phone, clear_email;
};

/* ---- the interface ------------------------------------------------------------------------ */

/* Opens the database named by url (a path, `sqlite:PATH` or `postgres://...`). Does not create
 * the schema (store_migrate does). Returns NULL with e set on failure. Free with store_close. */
struct store *store_open(const char *url, struct err *e);
void store_close(struct store *s);

/* Short backend name: "sqlite" or "postgres". */
const char *store_backend(const struct store *s);

/* Schema: applies pending migrations, each in its own transaction; reports the versions. */
int store_migrate(struct store *s, int *from, int *to, struct err *e);
int store_schema_version(struct store *s, int *current, int *latest, struct err *e);

/* Connectivity probe for readiness checks. */
int store_ping(struct store *s, struct err *e);

/* Bulk mode for long imports on this thread's connection: no memory map (its pages would
 * count against the importer's memory) and a bounded page cache. */
int store_bulk_mode(struct store *s, struct err *e);
/* Scan mode for one long read in key order on this thread's connection (a verification): no
 * memory map and a small page cache, since each page is read about once. */
int store_scan_mode(struct store *s, struct err *e);

/* Bulk loads. store_bulk_begin sets the secondary indexes of conversations, messages and events
 * aside, recording in the database how to rebuild them, so that a large load writes each row
 * once instead of once per index. store_bulk_finish rebuilds whatever is set aside (sorting is
 * far cheaper than growing an index row by row), reporting each step through `step` when given;
 * it is idempotent and resumable, and a load that was killed is finished by the next
 * store_bulk_finish. Reads stay correct meanwhile, only slower.
 * Until store_bulk_finish, the loading connection also stops checking foreign keys (about a
 * sixth of a legacy load's time): the loader writes every parent before its children in the
 * same transaction, and checks what it references but did not write itself (legacy-migrate's
 * verification: customer_missing in store_legacy_scan). */
int store_bulk_begin(struct store *s, struct err *e);
int store_bulk_pending(struct store *s, int *indexes, struct err *e);
/* A step of store_bulk_finish begins: `what` (an index, then "search index"), i of n.
 * joins_ready: the indexes that take a conversation to its messages and events are back (they
 * are rebuilt first), so reads that join them are fast again while the rest is rebuilt. */
typedef void (*store_bulk_step_fn)(void *ctx, const char *what, int i, int n, bool joins_ready);
int store_bulk_finish(struct store *s, store_bulk_step_fn step, void *ctx, struct err *e);

/* Marks the calling thread as the process's one writer: its commits no longer checkpoint the
 * WAL themselves; a background thread does, so the writer only appends. Its commits also index
 * what they wrote for full-text search at most every STORE_SEARCH_LAG_MS (with the commit that
 * comes due), not at every commit: store_search_flush indexes the rest, and readers that search
 * call store_search_current first (dom_search_sync does both). */
int store_writer_mode(struct store *s, struct err *e);

#define STORE_SEARCH_LAG_MS 200

/* Full-text indexing on demand. SEARCH_IF_DUE indexes what this connection's commits left
 * unindexed when the lag has passed; SEARCH_NOW indexes everything committed (inside a
 * transaction: at its commit). Returns 1 when something is still waiting to be indexed, else 0,
 * or an error. */
enum search_flush { SEARCH_IF_DUE, SEARCH_NOW };
int store_search_flush(struct store *s, enum search_flush how, struct err *e);

/* Whether every committed message, customer and subject is in the full-text indexes. */
int store_search_current(struct store *s, bool *current, struct err *e);

/* Thread-local transactions. write=true takes the write lock up front. */
int store_begin(struct store *s, bool write, struct err *e);
int store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);

/* Customers. Insert fills c->id and c->created_at; ERR_CONFLICT when phone/email is taken. */
int store_customer_insert(struct store *s, struct customer *c, struct err *e);
int store_customer_update(struct store *s, int64_t id, const struct customer_update *u,
                          struct err *e);
int store_customer_get(struct store *s, int64_t id, struct arena *a, struct customer *out,
                       struct err *e);
int store_customer_by_phone(struct store *s, const char *e164, struct arena *a,
                            struct customer *out, struct err *e);
int store_customer_by_email(struct store *s, const char *email, struct arena *a,
                            struct customer *out, struct err *e);
int store_customer_list(struct store *s, const struct customer_filter *f, struct arena *a,
                        struct customer_page *out, struct err *e);
int store_appointments_for(struct store *s, int64_t customer_id, struct arena *a,
                           struct appointment **out, int *n, struct err *e);
int store_appointment_insert(struct store *s, struct appointment *ap, struct err *e);

/* Conversations. Insert takes c->id, message_count and last_message_preview as given. */
int store_conv_insert(struct store *s, const struct conversation *c, struct err *e);
int store_conv_update(struct store *s, const char *id, const struct conv_update *u,
                      struct err *e);
int store_conv_get(struct store *s, const char *id, struct arena *a, struct conversation *out,
                   struct err *e);
int store_conv_list(struct store *s, const struct conv_filter *f, struct arena *a,
                    struct conv_page *out, struct err *e);
int store_conv_detail(struct store *s, const char *id, struct arena *a, struct detail *out,
                      struct err *e);
/* Customer timeline: newest first by (last_activity_at, id); `before` as in conv_filter. */
int store_timeline(struct store *s, int64_t customer_id, int limit, bool has_before,
                   int64_t before_key, const char *before_id, struct arena *a,
                   struct conv_page *out, struct err *e);
int store_timeline_stats(struct store *s, int64_t customer_id, struct timeline_stats *out,
                         struct err *e);
/* The customer's latest active conversation of a channel: its id and last activity, or
 * ERR_NOTFOUND (store_conv_get reads the rest). */
int store_conv_active_thread(struct store *s, int64_t customer_id, const char *channel,
                             char id[UUID_STR_LEN + 1], int64_t *last_activity_at,
                             struct err *e);

/* Messages: inserts the message and its channel detail row, and updates the conversation's
 * last_activity_at, message_count and preview. */
int store_msg_insert(struct store *s, const struct message *m, struct err *e);
/* Messages of a conversation in time order (for scoring). */
int store_msgs_for(struct store *s, const char *conv_id, struct arena *a, struct message **out,
                   int *n, struct err *e);

/* Events. */
int store_event_insert(struct store *s, const struct comm_event *ev, struct err *e);

/* API tokens: only the SHA-256 of the secret is stored. */
int store_token_insert(struct store *s, const char *name, const char *role, const char *hash,
                       int64_t *id, struct err *e);
/* Role of an active token by hash, into role (16 bytes); ERR_NOTFOUND when unknown. */
int store_token_lookup(struct store *s, const char *hash, char role[16], int64_t *id,
                       char name[64], struct err *e);

/* SMS: the message with this provider id (MessageSid): its id and conversation; ERR_NOTFOUND. */
int store_sms_find(struct store *s, const char *sid, char msg_id[UUID_STR_LEN + 1],
                   char conv_id[UUID_STR_LEN + 1], struct err *e);

/* The delivery state of the SMS with this provider id; ERR_NOTFOUND. */
struct sms_state {
    char msg_id[UUID_STR_LEN + 1], conv_id[UUID_STR_LEN + 1];
    const char *direction, *status;
    int64_t delivered_at, failed_at;
};
int store_sms_state(struct store *s, const char *sid, struct arena *a, struct sms_state *out,
                    struct err *e);

/* Changes an SMS message's delivery fields; NULL/false members stay as they are. */
struct sms_update {
    const char *provider_message_id, *status, *error_code, *error_message;
    int64_t delivered_at, failed_at; /* 0 = unchanged */
};
int store_sms_update(struct store *s, const char *msg_id, const struct sms_update *u,
                     struct err *e);

/* Changes an e-mail message's provider id and delivery status (NULL = unchanged). */
int store_email_update(struct store *s, const char *msg_id, const char *provider_message_id,
                       const char *status, struct err *e);

/* Idempotency keys (api.md §12). claim inserts the key as in flight unless a live record exists
 * (records older than expire_before are replaced); it reports what was there. */
struct idem_record {
    bool existed;      /* a live record was found (nothing inserted) */
    bool done;         /* ... and it has a stored response */
    bool same_request; /* ... and its request hash equals ours */
    int status;
    const char *response;
};
int store_idem_claim(struct store *s, const char *key, const char *hash, int64_t now,
                     int64_t expire_before, struct arena *a, struct idem_record *out,
                     struct err *e);
int store_idem_finish(struct store *s, const char *key, int status, const char *response,
                      struct err *e);
int store_idem_release(struct store *s, const char *key, struct err *e);

/* Opt-out ledger: the latest keyword per E.164 number decides. */
int store_optout_set(struct store *s, const char *phone, bool opted_out, const char *keyword,
                     int64_t at, const char *message_id, struct err *e);
int store_optout_get(struct store *s, const char *phone, bool *opted_out, struct err *e);

/* Analytics: one row per conversation initiated in [start, end), in initiated_at order. */
struct conv_stat_row {
    int64_t initiated_at;
    const char *channel, *status, *outcome, *sentiment; /* interned or NULL */
    int satisfaction_score;                               /* 0 = NULL */
    int64_t customer_id;
    int64_t outbound_messages; /* with want_messages */
    double voice_seconds;      /* with want_voice: the call's duration */
    bool checked_availability, attempted_booking; /* with want_funnel: function calls made */
};

struct conv_scan {
    int64_t start, end;
    const char *channel; /* NULL = all */
    bool want_messages, want_voice, want_funnel;
};

/* Calls on_row for each row; a nonzero return from on_row stops the scan (and is returned). */
int store_conv_scan(struct store *s, const struct conv_scan *q,
                    int (*on_row)(void *ctx, const struct conv_stat_row *r), void *ctx,
                    struct err *e);

/* ---- legacy import (the migrator) and its verification ------------------------------------- */

struct customer_import {
    int64_t id; /* kept from the legacy database */
    const char *name, *phone, *email, *notes, *metadata;
    int is_new_client, has_allergies, is_pregnant; /* -1 = NULL */
    int64_t created_at, updated_at;
};

struct appointment_import {
    int64_t id, customer_id;
    const char *calendar_event_id, *service, *provider, *status, *booked_by;
    const char *special_requests, *cancellation_reason;
    int64_t starts_at, created_at, updated_at, cancelled_at;
    int64_t duration_minutes; /* -1 = NULL */
};

/* Inserts with the given id; ERR_CONFLICT naming "id", "phone", "email" or
 * "calendar_event_id" when one is taken. */
int store_customer_import(struct store *s, const struct customer_import *c, struct err *e);
int store_appointment_import(struct store *s, const struct appointment_import *ap,
                             struct err *e);
/* Whether a customer / appointment id exists. */
int store_customer_exists(struct store *s, int64_t id, bool *exists, struct err *e);
int store_appointment_exists(struct store *s, int64_t id, bool *exists, struct err *e);

/* Legacy session ids in [lo, hi] already migrated, ascending, into ids (up to max). */
int store_legacy_done(struct store *s, int64_t lo, int64_t hi, int64_t *ids, int max, int *n,
                      struct err *e);
int store_legacy_map_insert(struct store *s, int64_t legacy_id, const char *session_id,
                            const char *conv_id, struct err *e);
/* The same for a call dual-written to the legacy side (origin 'dual_write'). */
int store_legacy_map_dual(struct store *s, int64_t legacy_id, const char *session_id,
                          const char *conv_id, struct err *e);

/* ---- dual write ---------------------------------------------------------------------------- */

/* A finished call in the legacy vocabulary, ready for call_sessions/call_events. */
struct legacy_call_out {
    const char *session_id, *phone_number, *started_at, *ended_at; /* legacy text times */
    int64_t customer_id; /* 0 = NULL */
    int64_t duration_seconds;
    const char *transcript, *recording_url, *sentiment, *outcome, *escalation_reason;
    bool has_score;
    double satisfaction_score;
    int64_t customer_interruptions, ai_clarifications_needed, function_calls_made;
    bool escalated;
    int n_events;
    const char **event_types, **event_times, **event_data;
};

/* Writes the call into call_sessions/call_events of this same database (the legacy tables
 * live beside ours), in the caller's transaction; *legacy_id gets the new call_sessions id. */
int store_legacy_call_write(struct store *s, const struct legacy_call_out *c, int64_t *legacy_id,
                            struct err *e);
/* Whether this database also holds the legacy tables. */
int store_has_legacy_tables(struct store *s, bool *yes, struct err *e);

struct outbox_item {
    int64_t id;
    const char *conversation_id, *payload;
    int64_t attempts;
};
int store_outbox_add(struct store *s, const char *conv_id, const char *payload, int64_t now,
                     struct err *e);
int store_outbox_due(struct store *s, int64_t now, int limit, struct arena *a,
                     struct outbox_item **items, int *n, struct err *e);
int store_outbox_delivered(struct store *s, int64_t id, int64_t legacy_id, int64_t now,
                           struct err *e);
int store_outbox_failed(struct store *s, int64_t id, int64_t next_at, const char *error,
                        struct err *e);
/* Calls waiting for delivery, and the oldest one's creation time (0 when none). */
int store_outbox_pending(struct store *s, int64_t *n, int64_t *oldest, struct err *e);

/* One migrated conversation as stored, for verification. Strings live during the callback. */
struct legacy_target_row {
    int64_t legacy_id;
    bool dual_write; /* written by dual write (not migrated from the legacy side) */
    const char *legacy_session_id, *conversation_id;
    int64_t customer_id;
    const char *status, *sentiment, *outcome, *subject, *metadata;
    int64_t initiated_at, last_activity_at, completed_at;
    int satisfaction_score;
    int64_t n_messages, n_events, interruption_count;
    double duration_seconds; /* < 0 = NULL */
    const char *content, *recording_url, *function_calls, *transcript_segments;
    bool customer_missing; /* customer_id names no customer (a bulk load checks no keys) */
};

/* Streams the migrated conversations with legacy ids in (after, upto] in legacy id order. */
int store_legacy_scan(struct store *s, int64_t after, int64_t upto,
                      int (*cb)(void *ctx, const struct legacy_target_row *r), void *ctx,
                      struct err *e);
/* Number of customers / appointments. */
int store_count_customers(struct store *s, int64_t *customers, int64_t *appointments,
                          struct err *e);

/* Counts for the demo and tests. */
int store_count_conversations(struct store *s, int64_t *n, struct err *e);

#endif
