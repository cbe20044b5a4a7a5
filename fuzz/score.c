/*
 * score.c - fuzz target: conversation scoring (insight/score.h).
 *
 * Input layout: byte 0 picks the channel (byte % 4: sms, voice, email, chat) and the call
 * duration ((byte / 4)^2 seconds, so 0..3969). The rest is records separated by 0x1E; a record's
 * first byte says what it is: 'i' inbound message, 'o' outbound message, 'n' inbound message
 * with NULL content, 'd' "direction 0x1F content" (any direction string), 'c' function call
 * "name 0x1F result_json" (no 0x1F: NULL result), 'e' event type, 's' the conversation subject;
 * any other byte starts an inbound message made of the whole record. Strings end at a NUL.
 *
 * score_conversation() must return 0 and never crash; the score is 1..10, sentiment and outcome
 * are from their documented sets, the summary is one line of valid UTF-8 within
 * SCORE_SUMMARY_MAX bytes, a derived subject is valid UTF-8 within SCORE_SUBJECT_MAX bytes (a
 * non-blank input subject comes back unchanged), and the explanation parses with jansson into an
 * object whose base plus rule deltas equals its score, which equals the result's score. A second
 * call must give byte-identical results (the scorer is deterministic).
 */
#include "fuzz.h"

#include "core/arena.h"
#include "insight/score.h"

#include <jansson.h>

#define MAX_MSGS 64
#define MAX_CALLS 16
#define MAX_EVENTS 16

struct parsed {
    struct score_input in;
    struct score_msg msgs[MAX_MSGS];
    struct score_call calls[MAX_CALLS];
    const char *events[MAX_EVENTS];
    char *owned[2 * (MAX_MSGS + MAX_CALLS) + MAX_EVENTS + 1]; /* freed after the run */
    int n_owned;
};

static char *keep(struct parsed *p, const uint8_t *s, size_t n)
{
    char *c = fuzz_cstr(s, n);
    p->owned[p->n_owned++] = c;
    return c;
}

/* Splits a record "a 0x1F b" into two strings; b is NULL when there is no 0x1F. */
static void split(struct parsed *p, const uint8_t *s, size_t n, char **a, char **b)
{
    const uint8_t *us = memchr(s, 0x1F, n);
    *a = keep(p, s, us ? (size_t)(us - s) : n);
    *b = us ? keep(p, us + 1, n - (size_t)(us - s) - 1) : NULL;
}

static void parse(struct parsed *p, const uint8_t *data, size_t size)
{
    static const char *const CHANNELS[] = {"sms", "voice", "email", "chat"};
    memset(p, 0, sizeof *p);
    p->in.channel = CHANNELS[data[0] % 4];
    p->in.duration_seconds = (double)((data[0] >> 2) * (data[0] >> 2));
    p->in.msgs = p->msgs;
    p->in.calls = p->calls;
    p->in.event_types = p->events;
    const uint8_t *r = data + 1, *end = data + size;
    while (r < end) {
        const uint8_t *rs = memchr(r, 0x1E, (size_t)(end - r));
        const uint8_t *stop = rs ? rs : end;
        size_t n = (size_t)(stop - r);
        char *x, *y;
        uint8_t kind = n ? r[0] : 0;
        struct score_msg *m = p->in.n_msgs < MAX_MSGS ? &p->msgs[p->in.n_msgs] : NULL;
        if (kind == 'c' && p->in.n_calls < MAX_CALLS) {
            split(p, r + 1, n - 1, &x, &y);
            p->calls[p->in.n_calls++] = (struct score_call){x, y};
        } else if (kind == 'e' && p->in.n_events < MAX_EVENTS) {
            p->events[p->in.n_events++] = keep(p, r + 1, n - 1);
        } else if (kind == 's' && !p->in.subject) {
            p->in.subject = keep(p, r + 1, n - 1);
        } else if (m && (kind == 'i' || kind == 'o' || kind == 'n')) {
            m->direction = kind == 'o' ? "outbound" : "inbound";
            m->content = kind == 'n' ? NULL : keep(p, r + 1, n - 1);
            p->in.n_msgs++;
        } else if (m && kind == 'd') {
            split(p, r + 1, n - 1, &x, &y);
            *m = (struct score_msg){x, y};
            p->in.n_msgs++;
        } else if (m && !strchr("cesiond", kind)) {
            *m = (struct score_msg){"inbound", keep(p, r, n)};
            p->in.n_msgs++;
        }
        r = rs ? rs + 1 : end;
    }
}

static bool one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

static bool blank(const char *s)
{
    return s[strspn(s, " \t\n\r\v\f")] == '\0';
}

static void check_explanation(const struct score_result *r)
{
    json_error_t err;
    json_t *j = json_loads(r->explanation_json, 0, &err);
    FUZZ_CHECK(j && json_is_object(j), "explanation does not parse: %s: %s", err.text,
               r->explanation_json);
    json_int_t base = json_integer_value(json_object_get(j, "base"));
    json_t *rules = json_object_get(j, "rules");
    FUZZ_CHECK(json_is_array(rules), "no rules");
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule)
        base += json_integer_value(json_object_get(rule, "delta"));
    json_t *score = json_object_get(j, "score");
    FUZZ_CHECK(json_is_integer(score) && json_integer_value(score) == r->satisfaction_score,
               "explanation score differs from %d", r->satisfaction_score);
    FUZZ_CHECK(base == r->satisfaction_score, "base + deltas = %lld, score %d", (long long)base,
               r->satisfaction_score);
    const char *sent = json_string_value(json_object_get(json_object_get(j, "sentiment"), "value"));
    const char *outc = json_string_value(json_object_get(json_object_get(j, "outcome"), "value"));
    FUZZ_CHECK(sent && strcmp(sent, r->sentiment) == 0, "explanation sentiment differs");
    FUZZ_CHECK(outc && strcmp(outc, r->outcome) == 0, "explanation outcome differs");
    FUZZ_CHECK(json_array_size(json_object_get(j, "signals")) <= SCORE_SIGNAL_MAX,
               "too many signals");
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const SENTIMENTS[] = {"positive", "neutral", "negative", "mixed", NULL};
    static const char *const OUTCOMES[] = {
        "appointment_scheduled", "appointment_rescheduled", "appointment_cancelled",
        "info_request", "complaint", "escalated", "abandoned", "unresolved", NULL};
    if (size == 0)
        return 0;
    struct parsed *p = malloc(sizeof *p);
    struct arena *a = arena_new(0, 0), *a2 = arena_new(0, 0);
    if (!p || !a || !a2)
        abort();
    parse(p, data, size);

    struct score_result r, r2;
    int rc = score_conversation(&p->in, a, &r);
    FUZZ_CHECK(rc == 0, "score_conversation returned %d", rc);
    FUZZ_CHECK(r.satisfaction_score >= 1 && r.satisfaction_score <= 10, "score %d",
               r.satisfaction_score);
    FUZZ_CHECK(r.sentiment && one_of(r.sentiment, SENTIMENTS), "sentiment %s", r.sentiment);
    FUZZ_CHECK(r.outcome && one_of(r.outcome, OUTCOMES), "outcome %s", r.outcome);
    FUZZ_CHECK(r.summary && r.subject && r.explanation_json, "a NULL result string");

    size_t n = strlen(r.summary);
    FUZZ_CHECK(n > 0 && n <= SCORE_SUMMARY_MAX && !strpbrk(r.summary, "\r\n"),
               "summary \"%s\"", r.summary);
    FUZZ_CHECK(fuzz_utf8_valid(r.summary, n), "summary is not UTF-8: \"%s\"", r.summary);
    if (p->in.subject && !blank(p->in.subject)) {
        FUZZ_CHECK(strcmp(r.subject, p->in.subject) == 0, "subject \"%s\" became \"%s\"",
                   p->in.subject, r.subject);
    } else {
        n = strlen(r.subject);
        FUZZ_CHECK(n > 0 && n <= SCORE_SUBJECT_MAX, "derived subject \"%s\"", r.subject);
        FUZZ_CHECK(fuzz_utf8_valid(r.subject, n), "subject is not UTF-8: \"%s\"", r.subject);
    }
    check_explanation(&r);

    rc = score_conversation(&p->in, a2, &r2);
    FUZZ_CHECK(rc == 0 && r2.satisfaction_score == r.satisfaction_score &&
                   strcmp(r.sentiment, r2.sentiment) == 0 && strcmp(r.outcome, r2.outcome) == 0 &&
                   strcmp(r.subject, r2.subject) == 0 && strcmp(r.summary, r2.summary) == 0 &&
                   strcmp(r.explanation_json, r2.explanation_json) == 0,
               "a second run differs");

    for (int i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    free(p);
    arena_free(a);
    arena_free(a2);
    return 0;
}
