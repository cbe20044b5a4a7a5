/*
 * legacy.h - moving the legacy voice-only schema into the omnichannel store: transcript parsing,
 * the per-session mapping of legacy.md, the migrator and the verifier.
 *
 * Layer: legacy (called by cli/; calls domain/, store/ (including store/legacy_src.h for the
 * source) and core/). No SQL here: the source is read through legacy_src, the target written
 * through the store. Everything is deterministic: the same source gives the same mapped rows
 * (conversation ids excepted) and the same checksum.
 */
#ifndef SB_LEGACY_H
#define SB_LEGACY_H

#include "store/legacy_src.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- transcripts (transcript.c) ------------------------------------------------------------ */

struct transcript_seg {
    const char *speaker; /* "customer", "assistant" or "unknown" (static strings) */
    const char *text;    /* trimmed text; for unknown speakers, the whole line */
    double timestamp;    /* seconds from call start, or the line index */
};

struct transcript {
    struct transcript_seg *segs;
    int n;
    bool json; /* parsed from the JSON list form */
};

/* Parses a legacy transcript (plain `Speaker: text` lines, or a JSON list of {speaker, text,
 * timestamp}); text may be NULL. started_at (microseconds) turns JSON timestamps into seconds
 * from the call's start. Returns 0 or ERR_NOMEM. */
int transcript_parse(const char *text, int64_t started_at, struct arena *a,
                     struct transcript *out);

/* The message content: `Customer: ...` / `Assistant: ...` lines, other lines as they were. */
char *transcript_render(const struct transcript *t, struct arena *a);

/* The segments as a JSON array [{speaker, text, timestamp}]. */
char *transcript_segments_json(const struct transcript *t, struct arena *a);

/* The first non-empty customer utterance, or NULL. */
const char *transcript_first_customer(const struct transcript *t);

/* ---- mapping (mapper.c) -------------------------------------------------------------------- */

struct legacy_mapped {
    int64_t legacy_id;
    const char *session_id; /* arena copy */
    struct conversation conv;
    struct message msg;
    struct msg_voice voice;
    struct comm_event *events;
    int n_events;
    uint64_t digest; /* of the mapped fields, for the verification checksum */
};

/* Maps one session per legacy.md. customer_known tells whether s->customer_id exists in the
 * target (a dangling id is kept in metadata, and the conversation is unidentified). Returns 0,
 * ERR_INVALID with the reason (e.g. no start time), or ERR_NOMEM. */
int legacy_map_session(const struct legacy_session *s, bool customer_known, struct arena *a,
                       struct legacy_mapped *out, struct err *e);

/* The same for comparison only: the digest and the compared fields, without building what only
 * a write needs (transcript segments, function calls). */
int legacy_map_for_digest(const struct legacy_session *s, bool customer_known, struct arena *a,
                          struct legacy_mapped *out, struct err *e);

/* The digest of a stored conversation, computed over the same fields as legacy_map_session's,
 * so the sums of both sides agree exactly when every field survived. */
uint64_t legacy_digest_stored(const struct legacy_target_row *r);

/* Parses a legacy timestamp text ("YYYY-MM-DD HH:MM:SS.ffffff", naive UTC); 0 when NULL/bad. */
int64_t legacy_ts(const char *s);

/* ---- migrate and verify (migrate.c, verify.c) ---------------------------------------------- */

struct legacy_opts {
    const char *from;  /* source URL */
    bool dry_run, json;
    bool keep_indexes; /* never set indexes aside, even for a large load (a serving target) */
    int64_t limit;     /* most sessions to migrate in this run, 0 = all */
    const char *const *session_ids;
    int n_session_ids;
    int batch;         /* sessions per transaction */
    bool progress;     /* draw a progress bar (a terminal) */
    FILE *out;         /* summary and report */
    FILE *log;         /* progress and errors */
};

/* Runs the migration; returns the exit status (0 success, 1 runtime failure, 2 usage). */
int legacy_migrate(struct store *s, const struct legacy_opts *o);

/* Compares the whole source with the target; prints every mismatch; returns the exit status
 * (0 when both agree, 1 on any mismatch or failure, 2 usage). */
int legacy_verify(struct store *s, const struct legacy_opts *o);

/* ---- dual write (dualwrite.c) -------------------------------------------------------------- */

/* The legacy word for an outcome (appointment_scheduled -> booked, ...); NULL when none. */
const char *legacy_outcome_word(const char *outcome);

/* Turns dual write on for the server: registers the voice-final hook and, when the legacy
 * tables are in another database, starts the outbox worker. db_url is the server's own
 * database (to tell whether both are one). */
int legacy_dual_start(struct store *s, const char *db_url, const char *legacy_url,
                      struct err *e);
void legacy_dual_stop(void);

/* One delivery pass over the due outbox (the worker runs this; tests call it directly). */
int legacy_outbox_drain(struct store *s, const char *url, int *delivered, int *failed,
                        struct err *e);

#endif
