/*
 * score.h - deterministic, explainable scoring of one conversation (api.md section 9).
 *
 * Layer: insight; calls only core/ (arena, buf, json). Given the messages, the voice assistant's
 * function calls and the event types of a conversation, score_conversation() derives a
 * satisfaction score 1..10, a sentiment, an outcome, a fallback subject, a one-line summary and a
 * JSON explanation that lists every signal it used and every rule that moved the score. There is
 * no model, network, randomness, clock or locale involved: a fixed English lexicon matched on
 * lower-cased ASCII words, a handful of rules, integer arithmetic. The same input therefore gives
 * byte-identical output on every machine. Only the customer's words count for sentiment (inbound
 * messages, "Customer:" lines of a voice transcript); the business side is read only for outcome
 * hints such as "you're booked". The module holds no mutable static state, so it is thread-safe;
 * the inputs are only read, and results live in the caller's arena.
 *
 * Bounds: at most SCORE_MSG_CAP bytes of each message and SCORE_TOTAL_CAP bytes in all are read
 * (the explanation says "truncated" when a cap cut something off), and at most SCORE_SIGNAL_MAX
 * signals are used; a signal past that cap is neither used nor listed, only counted as "dropped".
 * Invalid UTF-8 is harmless: non-ASCII bytes separate words, and the strings produced are valid
 * UTF-8 (invalid bytes of a derived subject become U+FFFD).
 */
#ifndef SB_INSIGHT_SCORE_H
#define SB_INSIGHT_SCORE_H

#include <stddef.h>

struct arena;

#define SCORE_MSG_CAP (64u * 1024)           /* bytes examined per message */
#define SCORE_TOTAL_CAP (8u * 1024 * 1024)   /* bytes examined per conversation */
#define SCORE_SIGNAL_MAX 256                 /* signals used (and listed) per conversation */
#define SCORE_SUBJECT_MAX 80                 /* bytes of a derived subject */
#define SCORE_SUMMARY_MAX 200                /* bytes of a summary */

/* One stored message. direction "outbound" is the business; anything else (normally "inbound")
 * is read as the customer. content may be NULL; for voice it is a transcript whose lines start
 * "Customer:" / "Assistant:" (also "Caller:", "Ava:", "Agent:" ...); unlabelled lines continue
 * the previous speaker, and a message starts with the speaker its direction gives. */
struct score_msg {
    const char *direction;
    const char *content;
};

/* A function call made by the voice assistant. name such as "book_appointment",
 * "reschedule_appointment", "cancel_appointment", "transfer_to_human", "check_availability".
 * result_json is the result as JSON text or NULL; it is a success when its shallowest decisive
 * key says so ("success":true, "ok":true, "status":"booked"/"confirmed"/"scheduled"/...) and no
 * key at that depth says otherwise ("success":false, "status":"failed", a non-null "error"). */
struct score_call {
    const char *name;
    const char *result_json;
};

/* Everything scoring reads. Arrays may be NULL when their count is 0 (a NULL array is read as
 * empty whatever its count). channel is "voice", "sms" or "email" (anything else is scored like
 * sms/email). subject is the conversation's current subject or NULL. event_types are event type
 * names such as "escalated", "function_called", "sms.opt_out"; unknown ones are ignored.
 * duration_seconds is for voice, 0 when unknown. */
struct score_input {
    const char *channel;
    const char *subject;
    const struct score_msg *msgs;
    size_t n_msgs;
    const struct score_call *calls;
    size_t n_calls;
    const char *const *event_types;
    size_t n_events;
    double duration_seconds;
};

/* The result. sentiment and outcome are static strings (never freed); subject, summary and
 * explanation_json are NUL-terminated strings in the caller's arena.
 * - satisfaction_score: 1..10.
 * - sentiment: positive|neutral|negative|mixed.
 * - outcome: appointment_scheduled|appointment_rescheduled|appointment_cancelled|info_request|
 *   complaint|escalated|abandoned|unresolved.
 * - subject: the input subject when it has a non-blank one, else one derived from the content
 *   (at most SCORE_SUBJECT_MAX bytes, valid UTF-8): "Appointment booking" and the like for the
 *   appointment outcomes, "Customer escalation", "Complaint: <words>", else the customer's first
 *   question (info_request) or first line, else "Voice call" / "SMS conversation" / ....
 * - summary: one line of at most SCORE_SUMMARY_MAX bytes, e.g. "SMS conversation, 3 messages:
 *   customer booked an appointment; sentiment positive."
 * - explanation_json: {"version":1,"channel":..,"signals":[..],"dropped":n,"truncated":b,
 *   "counts":{..},"sentiment":{..},"outcome":{..},"base":5,"rules":[..],"score":n}, where
 *   base plus the "delta" of every rule equals score. */
struct score_result {
    int satisfaction_score;
    const char *sentiment;
    const char *outcome;
    char *subject;
    char *summary;
    char *explanation_json;
};

/* Scores one conversation. in, a and out must not be NULL. Pure and deterministic: the same input
 * gives byte-identical output. Allocates the result strings from arena a (some scratch memory is
 * taken from the heap and released before returning). Returns 0, or ERR_NOMEM (core/err.h) when
 * the arena or the heap is exhausted; then out's strings are NULL. */
int score_conversation(const struct score_input *in, struct arena *a, struct score_result *out);

#endif
