/*
 * test_score.c - unit tests of insight/score.c: conversation scoring.
 *
 * Layer: insight (test). Includes score.c to reach its statics (lexicon, result parser). The main
 * table scores small conversations and checks sentiment, outcome and a score range, and that each
 * explanation is valid JSON (parsed with jansson) whose base plus rule deltas equals the score.
 * Further cases cover negation details, determinism, empty and NULL input, huge and invalid UTF-8
 * input, subject derivation, function-result parsing and arena exhaustion.
 */
#include "insight/score.c"
#include "core/arena.h"
#include "testlib.h"

#include <jansson.h>

#define MAXM 6

struct tcase {
    const char *name;
    const char *channel;
    struct score_msg msgs[MAXM];
    struct score_call calls[3];
    const char *events[3];
    double duration;
    const char *sentiment; /* NULL: not checked */
    const char *outcome;
    int lo, hi; /* score range */
};

#define IN(s) {"inbound", (s)}
#define OUT(s) {"outbound", (s)}

static const struct tcase CASES[] = {
    {"complaint", "sms", {IN("I was charged twice, this is really frustrating.")}, {{0}}, {0}, 0,
     "negative", "complaint", 1, 4},
    {"booking call", "voice",
     {IN("Assistant: You're all set for Tuesday at 3.\n"
         "Customer: Thanks so much, that's perfect, see you Tuesday!")},
     {{"check_availability", "{\"slots\":[\"3pm\"]}"},
      {"book_appointment", "{\"success\": true, \"appointment_id\": 42}"}},
     {0}, 95, "positive", "appointment_scheduled", 8, 10},
    {"booking call, sms message", "sms",
     {IN("Thanks so much, that's perfect, see you Tuesday!")},
     {{"book_appointment", "{\"status\":\"booked\"}"}}, {0}, 0, "positive",
     "appointment_scheduled", 8, 10},
    {"reschedule call", "voice",
     {IN("Customer: I need to move my appointment to Friday.\nAssistant: Done.\nCustomer: Great.")},
     {{"reschedule_appointment", "{\"status\":\"rescheduled\"}"}}, {0}, 60, "positive",
     "appointment_rescheduled", 6, 10},
    {"cancel call", "voice",
     {IN("Customer: Please cancel my facial tomorrow.\nAssistant: It's cancelled.")},
     {{"cancel_appointment", "{\"success\":true}"}}, {0}, 40, "neutral",
     "appointment_cancelled", 4, 6},
    {"escalation event", "voice",
     {IN("Customer: I have a question about my bill.\nAssistant: One moment.")}, {{0}},
     {"function_called", "escalated"}, 80, NULL, "escalated", 1, 5},
    {"escalation request", "sms", {IN("Can I speak to a real person please")}, {{0}}, {0}, 0,
     "negative", "escalated", 1, 4},
    {"transfer call", "voice", {IN("Customer: Hi, about my laser treatment results\n")},
     {{"transfer_to_human", NULL}}, {0}, 50, "neutral", "escalated", 4, 4},
    {"sms text booking", "sms",
     {IN("Hi, I'd like to book a facial for Friday"),
      OUT("You're booked for Friday at 2pm. See you then!"), IN("Great, thanks!")},
     {{0}}, {0}, 0, "positive", "appointment_scheduled", 8, 10},
    {"sms text reschedule", "sms",
     {IN("I need to reschedule my appointment"), OUT("Done, you're confirmed for Thursday at 3.")},
     {{0}}, {0}, 0, "neutral", "appointment_rescheduled", 6, 6},
    {"email text cancel", "email",
     {IN("Please cancel my appointment tomorrow.\n\nOn Tue, Jan 5, 2025 Spa <a@b.c> wrote:\n"
         "> We are terrible and rude"),
      OUT("Your appointment has been cancelled.")},
     {{0}}, {0}, 0, "neutral", "appointment_cancelled", 5, 5},
    {"info request", "sms", {IN("How much is Botox?")}, {{0}}, {0}, 0, "neutral", "info_request",
     5, 5},
    {"empty conversation", "sms", {{0}}, {{0}}, {0}, 0, "neutral", "abandoned", 4, 4},
    {"short voice call", "voice", {IN("Customer: hello")}, {{0}}, {0}, 4, "neutral", "abandoned",
     4, 4},
    {"assistant only", "voice",
     {IN("Assistant: Thanks for calling, we'd love to help! Wonderful day, perfect!")}, {{0}}, {0},
     30, "neutral", "abandoned", 4, 4},
    {"unresolved", "sms", {IN("ok"), OUT("Let us know if we can help.")}, {{0}}, {0}, 0,
     "neutral", "unresolved", 5, 5},
    {"not happy", "sms", {IN("I'm not happy with my results")}, {{0}}, {0}, 0, "negative",
     "unresolved", 1, 4},
    {"not bad", "sms", {IN("Honestly the peel was not bad")}, {{0}}, {0}, 0, "positive",
     "unresolved", 6, 6},
    {"negation across a clause", "sms", {IN("No, I'm happy with it")}, {{0}}, {0}, 0, "positive",
     NULL, 6, 10},
    {"mixed", "sms",
     {IN("Thanks for fitting me in, but I'm really disappointed with the results.")}, {{0}}, {0},
     0, "mixed", "unresolved", 5, 7},
    {"null content", "sms", {{"sideways", NULL}, {"inbound", NULL}, {"outbound", NULL}}, {{0}},
     {0}, 0, "neutral", "abandoned", 4, 4},
    {"failed booking", "voice",
     {IN("Customer: Can I book for Monday?\nAssistant: Let me check.\nCustomer: ok")},
     {{"book_appointment", "{\"success\":false,\"error\":\"slot taken\"}"}}, {0}, 40,
     "neutral", "info_request", 5, 5},
    {"assistant sentiment ignored", "voice",
     {IN("Assistant: That's wonderful, great, perfect!\nCustomer: ok then\nCustomer: bye now")},
     {{0}}, {0}, 20, "neutral", "unresolved", 5, 5},
    {"clarifications", "voice",
     {IN("Customer: What?\nAssistant: Sorry, I didn't catch that.\nCustomer: Sorry? Can you "
         "repeat that?\nCustomer: ok")},
     {{0}}, {0}, 30, "neutral", "unresolved", 4, 4},
    {"sms offer accepted", "sms",
     {IN("Do you do lip filler?"), OUT("We do! Would you like to book an appointment?"),
      IN("Yes please, Saturday morning"), OUT("Great, you're all set for Saturday at 11am.")},
     {{0}}, {0}, 0, "neutral", "appointment_scheduled", 7, 7},
    {"sms yes without an offer", "sms",
     {IN("Do you do lip filler?"), OUT("We do, it's $650."), IN("ok"),
      OUT("Great, you're all set.")},
     {{0}}, {0}, 0, "neutral", "info_request", 5, 5},
    {"voice text booking needs a call", "voice",
     {IN("Customer: I want to book a facial\nAssistant: You're booked for Friday, see you then!")},
     {{0}}, {0}, 60, "neutral", "unresolved", 5, 5},
    {"fully booked", "sms",
     {IN("Can I book Saturday?"), OUT("Sorry, we're fully booked on Saturday.")}, {{0}}, {0}, 0,
     "neutral", "info_request", 5, 5},
    {"cancellation policy", "sms",
     {IN("What is your cancellation policy?"),
      OUT("You can cancel up to 24 hours ahead; the cancellation fee is $50. Appointments that "
          "are cancelled late are charged.")},
     {{0}}, {0}, 0, "neutral", "info_request", 5, 5},
    {"opt out", "sms", {IN("STOP")}, {{0}}, {"sms.opt_out"}, 0, "negative", "unresolved", 4, 4},
    {"typographic apostrophe", "sms", {IN("I don\xE2\x80\x99t like it, I\xE2\x80\x99m not happy")},
     {{0}}, {0}, 0, "negative", "unresolved", 1, 4},
    {"no complaints", "sms", {IN("No complaints at all, the filler looks great")}, {{0}}, {0}, 0,
     "positive", "unresolved", 6, 10},
    {"not a manager request", "sms",
     {IN("I don't need to speak to a manager, just tell me your hours")}, {{0}}, {0}, 0, NULL,
     "unresolved", 4, 6},
};

#define N_CASES (sizeof CASES / sizeof CASES[0])

static size_t count_msgs(const struct tcase *c)
{
    size_t n = 0;
    while (n < MAXM && (c->msgs[n].direction || c->msgs[n].content))
        n++;
    return n;
}

static void to_input(const struct tcase *c, struct score_input *in)
{
    memset(in, 0, sizeof *in);
    in->channel = c->channel;
    in->msgs = c->msgs;
    in->n_msgs = count_msgs(c);
    in->calls = c->calls;
    while (in->n_calls < 3 && c->calls[in->n_calls].name)
        in->n_calls++;
    in->event_types = c->events;
    while (in->n_events < 3 && c->events[in->n_events])
        in->n_events++;
    in->duration_seconds = c->duration;
}

/* Checks that js is a JSON object of the documented shape whose base + deltas = score, and that
 * every lexicon signal names a message. Returns a message on failure, NULL when fine. */
static const char *check_explanation(const char *js, int score)
{
    json_error_t jerr;
    json_t *root = json_loads(js, 0, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return "explanation is not a JSON object";
    }
    const char *why = NULL;
    json_t *rules = json_object_get(root, "rules"), *sigs = json_object_get(root, "signals");
    if (json_integer_value(json_object_get(root, "version")) != 1 || !json_is_array(rules) ||
        !json_is_array(sigs) || !json_is_integer(json_object_get(root, "base")))
        why = "explanation lacks version, base, rules or signals";
    long long total = json_integer_value(json_object_get(root, "base"));
    size_t i;
    json_t *v;
    json_array_foreach(rules, i, v) total += json_integer_value(json_object_get(v, "delta"));
    if (!why && (total != score || json_integer_value(json_object_get(root, "score")) != score))
        why = "base + rule deltas differ from the score";
    json_array_foreach(sigs, i, v)
    {
        const char *kind = json_string_value(json_object_get(v, "signal"));
        if (!why && !kind)
            why = "a signal without a \"signal\" name";
        if (!why && strcmp(kind, "lexicon") == 0 &&
            (!json_is_integer(json_object_get(v, "message")) ||
             !json_is_boolean(json_object_get(v, "negated")) ||
             !json_is_string(json_object_get(v, "word"))))
            why = "a lexicon signal without message, negated or word";
    }
    json_decref(root);
    return why;
}

TEST(table)
{
    for (size_t k = 0; k < N_CASES; k++) {
        const struct tcase *c = &CASES[k];
        struct score_input in;
        to_input(c, &in);
        struct arena *a = arena_new(4096, 0);
        CHECK(a);
        struct score_result r;
        int rc = score_conversation(&in, a, &r);
        bool bad = rc != 0 || (c->sentiment && strcmp(r.sentiment, c->sentiment) != 0) ||
                   (c->outcome && strcmp(r.outcome, c->outcome) != 0) ||
                   r.satisfaction_score < c->lo || r.satisfaction_score > c->hi;
        const char *why = rc == 0 ? check_explanation(r.explanation_json, r.satisfaction_score)
                                  : "score failed";
        if (rc == 0 && !why && (!r.summary || strlen(r.summary) > SCORE_SUMMARY_MAX ||
                                strchr(r.summary, '\n') || !r.subject || !*r.subject ||
                                strlen(r.subject) > SCORE_SUBJECT_MAX))
            why = "bad summary or subject";
        if (bad || why) {
            fprintf(stderr, "  case \"%s\": rc %d sentiment %s outcome %s score %d (%s)\n"
                            "    summary: %s\n    subject: %s\n    explanation: %s\n",
                    c->name, rc, r.sentiment, r.outcome, r.satisfaction_score, why ? why : "",
                    r.summary, r.subject, r.explanation_json);
        }
        arena_free(a);
        CHECK(!bad && !why);
    }
}

/* Scores the single inbound sms s; returns the explanation (in a). */
static struct score_result score_sms(struct arena *a, const char *s)
{
    struct score_msg m = {"inbound", s};
    struct score_input in = {.channel = "sms", .msgs = &m, .n_msgs = 1};
    struct score_result r;
    int rc = score_conversation(&in, a, &r);
    if (rc)
        memset(&r, 0, sizeof r);
    return r;
}

TEST(negation_is_recorded)
{
    struct arena *a = arena_new(4096, 0);
    struct score_result r = score_sms(a, "I'm not happy with my results");
    CHECK(r.explanation_json);
    CHECK(strstr(r.explanation_json, "\"word\":\"happy\",\"weight\":-2,\"negated\":true,") != NULL);
    CHECK(strstr(r.explanation_json, "\"message\":0,\"line\":1") != NULL);
    r = score_sms(a, "I am not very happy");
    CHECK_STR(r.sentiment, "negative");
    CHECK(strstr(r.explanation_json, "\"weight\":-3,\"negated\":true,\"intensified\":true"));
    r = score_sms(a, "Not happy, but thanks anyway"); /* "but" ends the negation window */
    CHECK(strstr(r.explanation_json, "\"word\":\"thanks\",\"weight\":2,\"negated\":false") != NULL);
    r = score_sms(a, "I can't thank you enough!");
    CHECK_STR(r.sentiment, "positive");
    arena_free(a);
}

TEST(brief_examples)
{
    struct arena *a = arena_new(4096, 0);
    struct score_result r = score_sms(a, "I was charged twice, this is really frustrating.");
    CHECK_STR(r.sentiment, "negative");
    CHECK_STR(r.outcome, "complaint");
    CHECK(r.satisfaction_score <= 4);
    CHECK_STR(r.subject, "Complaint: charged twice");
    CHECK_STR(r.summary, "SMS conversation, 1 message: customer complained (charged twice); "
                         "sentiment negative.");

    struct score_msg m = {"inbound", "Thanks so much, that's perfect, see you Tuesday!"};
    struct score_call call = {"book_appointment", "{\"success\":true}"};
    struct score_input in = {.channel = "sms", .msgs = &m, .n_msgs = 1, .calls = &call,
                             .n_calls = 1};
    CHECK_INT(score_conversation(&in, a, &r), 0);
    CHECK_STR(r.sentiment, "positive");
    CHECK_STR(r.outcome, "appointment_scheduled");
    CHECK(r.satisfaction_score >= 8);
    CHECK_STR(r.subject, "Appointment booking");
    CHECK_STR(r.summary, "SMS conversation, 1 message: customer booked an appointment; sentiment "
                         "positive.");
    CHECK(strstr(r.explanation_json, "{\"signal\":\"function\",\"name\":\"book_appointment\","
                                     "\"effect\":\"booking\",\"success\":true,\"call\":0}"));
    arena_free(a);
}

TEST(voice_summary_and_subject)
{
    struct arena *a = arena_new(4096, 0);
    struct score_msg m = {"inbound", "Ava: Hi, this is Ava.\r\nCustomer: What are your hours on "
                                     "Sunday?\r\nAva: We open at ten.\r\nCustomer: Thank you!"};
    struct score_input in = {.channel = "voice", .msgs = &m, .n_msgs = 1,
                             .duration_seconds = 135.2};
    struct score_result r;
    CHECK_INT(score_conversation(&in, a, &r), 0);
    CHECK_STR(r.outcome, "info_request");
    CHECK_STR(r.summary, "Voice call, 2m 15s, 2 customer lines: customer asked for information; "
                         "sentiment positive.");
    CHECK_STR(r.subject, "What are your hours on Sunday?");
    in.subject = "Hours question";
    CHECK_INT(score_conversation(&in, a, &r), 0);
    CHECK_STR(r.subject, "Hours question");
    arena_free(a);
}

TEST(determinism)
{
    for (size_t k = 0; k < N_CASES; k++) {
        struct score_input in;
        to_input(&CASES[k], &in);
        struct arena *a1 = arena_new(256, 0), *a2 = arena_new(8192, 0);
        struct score_result r1, r2;
        CHECK_INT(score_conversation(&in, a1, &r1), 0);
        CHECK_INT(score_conversation(&in, a2, &r2), 0);
        CHECK_STR(r1.explanation_json, r2.explanation_json);
        CHECK_STR(r1.summary, r2.summary);
        CHECK_STR(r1.subject, r2.subject);
        CHECK_STR(r1.sentiment, r2.sentiment);
        CHECK_STR(r1.outcome, r2.outcome);
        CHECK_INT(r1.satisfaction_score, r2.satisfaction_score);
        arena_free(a1);
        arena_free(a2);
    }
}

TEST(empty_and_null_inputs)
{
    struct arena *a = arena_new(4096, 0);
    struct score_input in = {0};
    struct score_result r;
    CHECK_INT(score_conversation(&in, a, &r), 0);
    CHECK_STR(r.outcome, "abandoned");
    CHECK_STR(r.sentiment, "neutral");
    CHECK_INT(r.satisfaction_score, 4);
    CHECK_STR(r.subject, "Conversation");
    CHECK_STR(r.summary, "Conversation, 0 messages: customer did not engage; sentiment neutral.");
    CHECK(check_explanation(r.explanation_json, 4) == NULL);
    /* counts without arrays, NULL names and event types */
    in.n_msgs = 5;
    in.n_calls = 2;
    in.n_events = 3;
    CHECK_INT(score_conversation(&in, a, &r), 0);
    struct score_call calls[2] = {{NULL, NULL}, {"book_appointment", NULL}};
    const char *evs[3] = {NULL, "", "escalated.nope"};
    in.calls = calls;
    in.event_types = evs;
    struct score_msg msgs[3] = {{NULL, NULL}, {NULL, "   \t\r\n"}, {"outbound", "Hello?"}};
    in.msgs = msgs;
    in.n_msgs = 3;
    CHECK_INT(score_conversation(&in, a, &r), 0);
    CHECK_STR(r.outcome, "abandoned"); /* a booking without a result is not a success */
    CHECK_STR(r.subject, "Conversation");
    arena_free(a);
}

TEST(huge_and_invalid_input)
{
    size_t n = 3u << 20;
    char *big = malloc(n + 1);
    CHECK(big);
    static const char pat[] = "thanks \xff\xc3(\xe2\x80?!' x ";
    for (size_t i = 0; i < n; i++)
        big[i] = pat[i % (sizeof pat - 1)];
    big[n] = '\0';
    struct score_msg msgs[4] = {{"inbound", big}, {"outbound", big}, {"inbound", big},
                                {"inbound", "\xc3\x28\xa0\xa1\xf0\x28\x8c\xbc terrible"}};
    struct score_input in = {.channel = "email", .msgs = msgs, .n_msgs = 4};
    struct arena *a = arena_new(4096, 0);
    struct score_result r;
    CHECK_INT(score_conversation(&in, a, &r), 0);
    CHECK(check_explanation(r.explanation_json, r.satisfaction_score) == NULL);
    CHECK(strstr(r.explanation_json, "\"truncated\":true") != NULL);
    CHECK(strstr(r.explanation_json, "\"dropped\":0,") == NULL);
    json_t *root = json_loads(r.explanation_json, 0, NULL);
    CHECK(root);
    size_t ns = json_array_size(json_object_get(root, "signals"));
    json_decref(root);
    CHECK(ns == SCORE_SIGNAL_MAX);
    CHECK(json_utf8_valid(r.subject, strlen(r.subject)));
    CHECK(strlen(r.subject) <= SCORE_SUBJECT_MAX);

    /* a transcript with no newline at all, and a voice transcript of huge labels */
    in.channel = "voice";
    memset(big, 'a', n);
    CHECK_INT(score_conversation(&in, a, &r), 0);
    for (size_t i = 0; i < n; i++)
        big[i] = "Customer:\n"[i % 10];
    CHECK_INT(score_conversation(&in, a, &r), 0);
    CHECK(check_explanation(r.explanation_json, r.satisfaction_score) == NULL);
    free(big);
    arena_free(a);
}

TEST(subject_derivation)
{
    struct arena *a = arena_new(4096, 0);
    struct score_result r = score_sms(a, "  hi\n\xff\xfe caf\xc3\xa9   menu\tplease  ");
    /* "hi" has fewer than 3 words; the next line is used, invalid bytes become U+FFFD */
    CHECK_STR(r.subject, "\xEF\xBF\xBD\xEF\xBF\xBD caf\xC3\xA9 menu please");
    char longline[400];
    memset(longline, 0, sizeof longline);
    for (size_t i = 0; i + 6 < sizeof longline - 1; i += 6)
        memcpy(longline + i, "word\xC3\xA9", 6);
    for (size_t i = 30; i < sizeof longline - 1; i += 37)
        longline[i] = ' ';
    r = score_sms(a, longline);
    CHECK(r.subject);
    size_t l = strlen(r.subject);
    CHECK(l <= SCORE_SUBJECT_MAX);
    CHECK(l > 3 && memcmp(r.subject + l - 3, "\xE2\x80\xA6", 3) == 0);
    CHECK(json_utf8_valid(r.subject, l));
    arena_free(a);
}

TEST(result_parsing)
{
    static const struct {
        const char *json;
        bool ok;
    } R[] = {
        {"{\"success\":true}", true},
        {"{ \"success\" :\n true }", true},
        {"{\"success\":false}", false},
        {"{\"status\":\"BOOKED\",\"id\":7}", true},
        {"{\"status\":\"confirmed\"}", true},
        {"{\"result\":{\"status\":\"scheduled\"}}", true},
        {"{\"success\":true,\"error\":null}", true},
        {"{\"success\":true,\"error\":\"slot taken\"}", false},
        {"{\"data\":{\"status\":\"failed\"},\"success\":true}", true},
        {"{\"status\":\"failed\",\"note\":\"\\\"success\\\":true\"}", false},
        {"{\"message\":\"booked\"}", false},
        {"not json at all", false},
        {"{\"success\":tr", false},
        {"{\"succ", false},
        {"", false},
        {NULL, false},
    };
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) {
        if (result_ok(R[i].json) != R[i].ok)
            fprintf(stderr, "  result %s\n", R[i].json ? R[i].json : "(null)");
        CHECK(result_ok(R[i].json) == R[i].ok);
    }
}

TEST(lexicon_is_well_formed)
{
    for (size_t i = 0; i < LEX_N; i++) {
        const char *p = LEX[i].pat;
        size_t slots = 1;
        CHECK(*p && *p != '~' && *p != ' ' && *p != '|');
        for (; *p; p++) {
            if (*p == ' ') {
                slots++;
                CHECK(p[1] && p[1] != ' ' && p[1] != '|');
            }
            if (*p == '|')
                CHECK(p[1] && p[1] != ' ' && p[1] != '|');
            CHECK((*p >= 'a' && *p <= 'z') || strchr(" |~'?-", *p));
        }
        CHECK(slots <= SLOTS);
        CHECK(LEX[i].side >= CUST && LEX[i].side <= BOTH);
        /* business-side entries never carry sentiment weight */
        CHECK(LEX[i].side == CUST || LEX[i].weight == 0);
    }
    CHECK(sizeof KIND_NAME / sizeof KIND_NAME[0] == K_IGNORE + 1);
}

TEST(arena_exhausted)
{
    struct arena *a = arena_new(256, 1024);
    CHECK(a);
    struct score_msg m = {"inbound", "thanks thanks thanks thanks thanks thanks thanks thanks "
                                     "thanks thanks thanks thanks thanks thanks thanks thanks"};
    struct score_input in = {.channel = "sms", .msgs = &m, .n_msgs = 1};
    struct score_result r;
    CHECK_INT(score_conversation(&in, a, &r), ERR_NOMEM);
    CHECK(r.explanation_json == NULL && r.summary == NULL && r.subject == NULL);
    arena_free(a);
}

TEST_MAIN(T(table), T(negation_is_recorded), T(brief_examples), T(voice_summary_and_subject),
          T(determinism), T(empty_and_null_inputs), T(huge_and_invalid_input),
          T(subject_derivation), T(result_parsing), T(lexicon_is_well_formed),
          T(arena_exhausted))
