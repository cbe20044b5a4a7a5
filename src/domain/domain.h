/*
 * domain.h - the business rules every entry point shares: customers, conversations, messages,
 * events, scoring and API tokens.
 *
 * Layer: domain (called by api/, channels/, cli/ and the demo; calls store/, insight/, core/;
 * knows nothing of HTTP or JSON requests). Every function that writes runs in one store
 * transaction and retries it when the database is busy, so a caller never sees half a change.
 * Validation failures return ERR_INVALID with err.field naming the input, which the API layer
 * turns into 422.
 *
 * Memory: results are allocated from the caller's arena.
 */
#ifndef SB_DOMAIN_H
#define SB_DOMAIN_H

#include "store/store.h"

#include <stdbool.h>

/* ---- enumerations (api.md §0) -------------------------------------------------------------- */

bool dom_is_channel(const char *s);
bool dom_is_status(const char *s);
bool dom_is_sentiment(const char *s);
bool dom_is_outcome(const char *s);
bool dom_is_role(const char *s);
/* event_type: 1..64 chars of [a-z0-9_.] */
bool dom_is_event_type(const char *s);
/* Maps a legacy outcome word (booked, info_only, browsing, ...) to the contract's, or NULL. */
const char *dom_outcome_from_legacy(const char *s);

/* ---- customers ----------------------------------------------------------------------------- */

struct dom_customer_input {
    const char *name, *phone, *email; /* raw input; NULL = not given */
    bool has_name, has_phone, has_email;
    bool phone_null, email_null; /* explicitly null in a patch */
};

/* Normalises an e-mail address (trim, lower-case, basic shape check) into the arena; NULL when
 * it is not an address. */
char *dom_email_normalise(const char *in, struct arena *a);

/* Creates a customer: phone to E.164, email lower-cased, at least one of them, default name
 * "Customer ••1234" or the email's local part. ERR_CONFLICT (field phone/email) when taken. */
int dom_customer_create(struct store *s, const struct dom_customer_input *in, struct arena *a,
                        struct customer *out, struct err *e);

/* Applies a patch with the same rules; ERR_NOTFOUND for an unknown id. */
int dom_customer_patch(struct store *s, int64_t id, const struct dom_customer_input *in,
                       struct arena *a, struct customer *out, struct err *e);

/* Finds the customer with this E.164 phone / normalised email, creating one when unknown.
 * *created tells which happened. Safe against concurrent creators. */
int dom_customer_for_phone(struct store *s, const char *e164, const char *name, struct arena *a,
                           struct customer *out, bool *created, struct err *e);
int dom_customer_for_email(struct store *s, const char *email, const char *name,
                           struct arena *a, struct customer *out, bool *created, struct err *e);

/* ---- conversations and messages ------------------------------------------------------------ */

/* Opens a new active conversation (id UUIDv7 of `at`, 0 = now). customer_id 0 = unidentified.
 * Must be called inside a transaction (dom_tx_*) or alone. */
int dom_conv_open(struct store *s, const char *channel, int64_t customer_id, int64_t at,
                  const char *subject, const char *metadata, struct arena *a,
                  struct conversation *out, struct err *e);

/* Appends a message: fills m->id (when empty), m->sent_at (when 0) and the preview, stores the
 * message with its channel details and bumps the conversation's activity. */
int dom_msg_append(struct store *s, struct message *m, struct arena *a, struct err *e);

/* The list preview of a message: its first 120 bytes cut on a character, with an ellipsis
 * when cut (arena memory, or content itself when short). */
const char *dom_msg_preview(const char *content, struct arena *a);

/* Records an event (type validated); message_id may be NULL, details JSON text or NULL. */
int dom_event_record(struct store *s, const char *conv_id, const char *type,
                     const char *details, const char *message_id, int64_t at, struct err *e);

struct dom_conv_patch {
    const char *status, *outcome, *subject; /* NULL = unchanged */
};

/* Changes status/outcome/subject. Completing (or failing) sets completed_at and scores the
 * conversation; reopening clears completed_at. Returns the updated conversation. */
int dom_conv_patch(struct store *s, const char *id, const struct dom_conv_patch *p,
                   struct arena *a, struct conversation *out, struct err *e);

/* (Re)scores a conversation from its messages and events; keeps an outcome set by a person
 * when keep_outcome. Returns the updated conversation. */
int dom_conv_score(struct store *s, const char *id, bool keep_outcome, struct arena *a,
                   struct conversation *out, struct err *e);

/* Marks a conversation completed at `at` (0 = now) and scores it. */
int dom_conv_complete(struct store *s, const char *id, int64_t at, struct arena *a,
                      struct conversation *out, struct err *e);

/* ---- voice calls ---------------------------------------------------------------------------- */

/* Called inside the transaction that finalises a voice call, after it is completed and scored
 * (dual write to the legacy schema hooks in here). A failure rolls the finalisation back. */
typedef int (*dom_voice_final_hook)(struct store *s, const char *conv_id, struct arena *a,
                                    void *ctx, struct err *e);
void dom_set_voice_final_hook(dom_voice_final_hook fn, void *ctx);

/* Finalises a voice call exactly once: completes it at `at` (0 = now), scores it and runs the
 * final hook, in one transaction. A call that is no longer active is left alone (*done false). */
int dom_voice_finalize(struct store *s, const char *conv_id, int64_t at, struct arena *a,
                       bool *done, struct err *e);

/* ---- SMS ------------------------------------------------------------------------------------ */

struct dom_sms_in {
    const char *sid;        /* MessageSid: the deduplication key */
    const char *from, *to;  /* E.164 */
    const char *body;       /* verbatim, may be empty */
    int segments;
    const char *media_urls; /* JSON array text, in order */
    const char *metadata;   /* JSON object text for the message (account, media types, geo) */
    int64_t received_at;    /* 0 = now */
    int idle_minutes;       /* the threading window */
};

struct dom_sms_result {
    bool duplicate; /* this MessageSid was stored before: nothing was written */
    char conversation_id[UUID_STR_LEN + 1];
    char message_id[UUID_STR_LEN + 1];
    int64_t customer_id;
    const char *keyword; /* "opt_out", "opt_in", "help" or NULL */
};

/* Stores an inbound SMS in one transaction: dedupe on sid, find or create the customer by
 * phone, join their active SMS conversation when its last activity is within the idle window
 * (else complete it and open a new one), append the message, apply STOP/START/HELP to the
 * opt-out ledger with an event. Safe against concurrent duplicates. */
int dom_sms_receive(struct store *s, const struct dom_sms_in *in, struct arena *a,
                    struct dom_sms_result *out, struct err *e);

/* The same without waiting (the server's webhook): on_done(done_ctx, rc) after the commit;
 * all arguments must stay valid until then. A lost race with a concurrent delivery of the same
 * sid comes back as ERR_CONFLICT: call dom_sms_receive to settle it. */
int dom_sms_receive_async(struct store *s, const struct dom_sms_in *in, struct arena *a,
                          struct dom_sms_result *out, struct err *e,
                          void (*on_done)(void *done_ctx, int rc), void *done_ctx);

/* Classifies a whole SMS body as an opt-out keyword: "opt_out", "opt_in", "help" or NULL. */
const char *dom_sms_keyword(const char *body);

/* ---- outbound messages -------------------------------------------------------------------- */

struct dom_send_req {
    const char *channel, *content, *subject;
    const char *conversation_id; /* reply into this thread, or NULL */
    int64_t customer_id;         /* or this customer, 0 = not given */
    const char *customer_phone, *customer_email, *customer_name; /* or find/create by these */
    const char *from_number, *from_email; /* the business's sending identities */
    int idle_minutes;
};

/* What prepare stored and what the channel must send. */
struct dom_send_plan {
    struct conversation conv;
    bool created_conversation;
    struct message msg;       /* stored with status queued */
    const char *to;           /* E.164 or e-mail address */
    const char *to_name;
    const char *subject;      /* e-mail */
    const char *in_reply_to, *references; /* e-mail threading headers, or NULL */
};

/* Validates a send (ERR_INVALID naming the field, ERR_NOTFOUND for an unknown conversation or
 * customer, ERR_CONFLICT for an opted-out number), resolves the recipient and thread, and
 * stores the outbound message as queued, all in one transaction, before anything is sent. */
int dom_send_prepare(struct store *s, const struct dom_send_req *rq, struct arena *a,
                     struct dom_send_plan *plan, struct err *e);

struct dom_send_outcome {
    bool ok;
    const char *provider_id, *status;       /* on success */
    const char *error_code, *error_message; /* on failure */
};

/* Records the provider's answer on the queued message (provider id and status, or failed with
 * the error and failed_at). */
int dom_send_settle(struct store *s, const struct dom_send_plan *plan,
                    const struct dom_send_outcome *o, struct err *e);

/* Applies a Twilio status callback: ranks only rise (providers.md §3, api.md §12); the first
 * terminal status stays; `read` may follow `delivered`. *known is false for an unknown sid.
 * A refused (lower) status is recorded as an sms.status_ignored event. */
int dom_sms_status(struct store *s, const char *sid, const char *status, const char *error_code,
                   int64_t at, struct arena *a, bool *known, struct err *e);

/* ---- idempotency keys (api.md §12) ---------------------------------------------------------- */

enum dom_idem {
    DOM_IDEM_NEW,      /* claimed: do the work, then dom_idem_finish (or _release on failure) */
    DOM_IDEM_REPLAY,   /* done before with the same request: replay status/response */
    DOM_IDEM_MISMATCH, /* the key was used with a different request */
    DOM_IDEM_IN_FLIGHT /* the first request with this key is still running */
};

/* Claims key for a request whose body hashes to hash; keys live 24 hours. */
int dom_idem_claim(struct store *s, const char *key, const char *hash, struct arena *a,
                   enum dom_idem *state, int *status, const char **response, struct err *e);
int dom_idem_finish(struct store *s, const char *key, int status, const char *response,
                    struct err *e);
void dom_idem_release(struct store *s, const char *key);

/* ---- transactions -------------------------------------------------------------------------- */

/* Runs fn(s, ctx, e) inside a write transaction, retrying it (with backoff, up to ~10 s) while
 * the database is busy. fn must be safe to run again. Returns fn's result. */
int dom_tx(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e), void *ctx,
           struct err *e);

/* Makes sure every committed message, customer and subject is in the full-text indexes before
 * a search reads them (the server's writer indexes at most every STORE_SEARCH_LAG_MS): a no-op
 * returning 0 when they are, else one write transaction through the writer, returning 1 (a read
 * transaction the caller holds still sees the indexes as they were: it must start a new one). */
int dom_search_sync(struct store *s, struct err *e);

/* Queues fn like dom_tx without waiting: on_done(done_ctx, rc) is called once the unit is
 * committed or has failed (on the writer thread; or at once, on this thread, when no writer
 * runs). e and ctx must stay valid until then. Returns 0, or ERR_NOMEM (on_done not called). */
int dom_tx_async(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e),
                 void *ctx, struct err *e, void (*on_done)(void *done_ctx, int rc),
                 void *done_ctx);

/* Starts the group committer for s: from then on dom_tx calls from any thread are queued and
 * committed in batches by one writer thread (see tx.c). For the server; the CLI runs units of
 * work on its own thread. Stop it before closing the store. */
int dom_group_commit_start(struct store *s);
void dom_group_commit_stop(void);

/* ---- API tokens ---------------------------------------------------------------------------- */

/* Creates a token for role; writes the secret (shown once) into secret[64]. */
int dom_token_create(struct store *s, const char *name, const char *role, char secret[64],
                     struct err *e);

/* Authenticates a bearer secret: fills role[16] and name[64]; ERR_NOTFOUND when unknown. */
int dom_token_check(struct store *s, const char *secret, char role[16], int64_t *id,
                    char name[64], struct err *e);

#endif
