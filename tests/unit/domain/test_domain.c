/*
 * test_domain.c - unit tests for the domain layer's rules (src/domain/, through domain.h).
 *
 * Pure rules, as tables: dom_email_normalise, dom_sms_keyword (api.md "Opt-out": the whole
 * trimmed body, any case), the enumerations of api.md §0, dom_outcome_from_legacy. Rules that
 * write, on a temporary SQLite file (removed afterwards): dom_customer_create validation (no
 * phone and no email, bad phone, bad email, bad names; E.164 and lower-case storage; default names
 * "Customer ••1234" and the e-mail's local part) and dom_sms_receive (validation before writing,
 * MessageSid idempotency, threading within the idle window using received_at as the clock,
 * closing an idle thread, and STOP/START/HELP on the opt-out ledger with their events); the group
 * committer undoing a failing unit alone while its batch commits. Only
 * headers are included: no single object mirrors this file.
 */
#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "domain/domain.h"
#include "store/store.h"

#include "../testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define T0 INT64_C(1762571910000000) /* 2025-11-08T03:18:30Z */
#define MIN (60 * TIME_US_PER_SEC)
#define DOTS "\xE2\x80\xA2\xE2\x80\xA2" /* "••" */

/* ---- pure rules ---------------------------------------------------------------------------- */

TEST(email_normalise_table)
{
    static const struct {
        const char *in, *want; /* want NULL: not an address */
    } v[] = {
        {"ann@example.com", "ann@example.com"},
        {"  Ann@Example.COM ", "ann@example.com"},
        {"\tDana.Scully@FBI.gov\r\n", "dana.scully@fbi.gov"},
        {"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"},
        {"x@y.z", "x@y.z"},
        {"Jos\xC3\xA9@Example.com", "jos\xC3\xA9@example.com"}, /* UTF-8 kept, ASCII lowered */
        {"o'brien@example.ie", "o'brien@example.ie"},
        {NULL, NULL},
        {"", NULL},
        {"   ", NULL},
        {"ab", NULL},
        {"ann", NULL},
        {"ann.example.com", NULL},   /* no @ */
        {"@example.com", NULL},      /* empty local part */
        {"ann@", NULL},
        {"ann@example", NULL},       /* no dot in the domain */
        {"ann@.example.com", NULL},
        {"ann@example.com.", NULL},
        {"ann@@example.com", NULL},
        {"ann@x@example.com", NULL},
        {"ann smith@example.com", NULL},
        {"ann@exa mple.com", NULL},
        {"<ann@example.com>", NULL},
        {"Ann <ann@example.com>", NULL},
        {"ann@example.com, bob@example.com", NULL},
        {"ann@example.com;", NULL},
        {"\"ann\"@example.com", NULL},
        {"ann(comment)@example.com", NULL},
        {"ann\\@example.com", NULL},
        {"ann\x01@example.com", NULL},
        {"ann\xFF@example.com", NULL}, /* invalid UTF-8 */
        {"ann\xC3@example.com", NULL},
    };
    struct arena *a = arena_new(0, 0);
    int bad = 0;
    for (size_t i = 0; i < COUNT(v); i++) {
        const char *got = dom_email_normalise(v[i].in, a);
        if (!((got == NULL && v[i].want == NULL) ||
              (got && v[i].want && strcmp(got, v[i].want) == 0))) {
            fprintf(stderr, "  \"%s\": got \"%s\", want \"%s\"\n", v[i].in ? v[i].in : "(null)",
                    got ? got : "(null)", v[i].want ? v[i].want : "(null)");
            bad++;
        }
    }
    /* Length: up to 254 bytes. */
    char longaddr[300];
    memset(longaddr, 'a', sizeof longaddr);
    memcpy(longaddr + 254 - 12, "@example.com", 13); /* 254 bytes in all */
    const char *ok = dom_email_normalise(longaddr, a);
    bool ok254 = ok && strlen(ok) == 254;
    memset(longaddr, 'a', sizeof longaddr);
    memcpy(longaddr + 255 - 12, "@example.com", 13);
    bool rej255 = dom_email_normalise(longaddr, a) == NULL;
    arena_free(a);
    CHECK_INT(bad, 0);
    CHECK(ok254);
    CHECK(rej255);
}

TEST(sms_keyword_table)
{
    static const struct {
        const char *body, *want;
    } v[] = {
        {"STOP", "opt_out"},       {"stop", "opt_out"},        {" Stop ", "opt_out"},
        {"\tSTOP\r\n", "opt_out"}, {"STOPALL", "opt_out"},     {"StopAll", "opt_out"},
        {"UNSUBSCRIBE", "opt_out"}, {"unsubscribe", "opt_out"}, {"CANCEL", "opt_out"},
        {"END", "opt_out"},        {"end", "opt_out"},         {"QUIT", "opt_out"},
        {"START", "opt_in"},       {"start", "opt_in"},        {"YES", "opt_in"},
        {"Yes", "opt_in"},         {"UNSTOP", "opt_in"},       {" unstop\n", "opt_in"},
        {"HELP", "help"},          {"help", "help"},           {"INFO", "help"},
        {"Info ", "help"},
        /* anything but the whole body is an ordinary message */
        {"stop please", NULL},     {"please stop", NULL},      {"STOP STOP", NULL},
        {"stop\nplease", NULL},    {"S TOP", NULL},            {"STOPP", NULL},
        {"STO", NULL},             {"ST", NULL},               {"STOP ALL", NULL},
        {"UNSUBSCRIBED", NULL},    {"helpful", NULL},          {"yes!", NULL},
        {"startup", NULL},         {"", NULL},                 {"   ", NULL},
        {"Hello, is this thing on?", NULL},
        {NULL, NULL},
    };
    int bad = 0;
    for (size_t i = 0; i < COUNT(v); i++) {
        const char *got = dom_sms_keyword(v[i].body);
        if (!((got == NULL && v[i].want == NULL) ||
              (got && v[i].want && strcmp(got, v[i].want) == 0))) {
            fprintf(stderr, "  \"%s\": got %s, want %s\n", v[i].body ? v[i].body : "(null)",
                    got ? got : "NULL", v[i].want ? v[i].want : "NULL");
            bad++;
        }
    }
    CHECK_INT(bad, 0);
}

TEST(enumerations)
{
    static const char *const channels[] = {"voice", "sms", "email"};
    static const char *const statuses[] = {"active", "completed", "failed"};
    static const char *const sentiments[] = {"positive", "neutral", "negative", "mixed"};
    static const char *const outcomes[] = {
        "appointment_scheduled", "appointment_rescheduled", "appointment_cancelled",
        "info_request",          "complaint",               "escalated",
        "abandoned",             "unresolved"};
    static const char *const roles[] = {"admin", "staff", "viewer"};
    for (size_t i = 0; i < COUNT(channels); i++)
        CHECK(dom_is_channel(channels[i]));
    for (size_t i = 0; i < COUNT(statuses); i++)
        CHECK(dom_is_status(statuses[i]));
    for (size_t i = 0; i < COUNT(sentiments); i++)
        CHECK(dom_is_sentiment(sentiments[i]));
    for (size_t i = 0; i < COUNT(outcomes); i++)
        CHECK(dom_is_outcome(outcomes[i]));
    for (size_t i = 0; i < COUNT(roles); i++)
        CHECK(dom_is_role(roles[i]));
    /* Exact, lower-case words only. */
    static const char *const no[] = {"", "Voice", "SMS", "e-mail", "chat", "voice ", "activ",
                                     "booked", "root", "Admin", NULL};
    for (size_t i = 0; i < COUNT(no); i++) {
        CHECK(!dom_is_channel(no[i]));
        CHECK(!dom_is_status(no[i]));
        CHECK(!dom_is_sentiment(no[i]));
        CHECK(!dom_is_outcome(no[i]));
        CHECK(!dom_is_role(no[i]));
    }
    /* Across lists. */
    CHECK(!dom_is_channel("active"));
    CHECK(!dom_is_status("sms"));
    CHECK(!dom_is_outcome("positive"));

    /* event_type: 1..64 of [a-z0-9_.] */
    char t64[65], t65[66];
    memset(t64, 'a', 64);
    t64[64] = '\0';
    memset(t65, 'a', 65);
    t65[65] = '\0';
    static const struct {
        const char *s;
        bool ok;
    } ev[] = {
        {"sms.opt_out", true}, {"function_called", true}, {"a", true},   {"v2.call.end", true},
        {"", false},           {"Sms.opt_out", false},    {"a-b", false}, {"a b", false},
        {"a/b", false},        {"\xC3\xA9", false},       {NULL, false},
    };
    for (size_t i = 0; i < COUNT(ev); i++)
        CHECK(dom_is_event_type(ev[i].s) == ev[i].ok);
    CHECK(dom_is_event_type(t64));
    CHECK(!dom_is_event_type(t65));
}

TEST(outcome_from_legacy_table)
{
    static const struct {
        const char *in, *want;
    } v[] = {
        {"booked", "appointment_scheduled"},
        {"rescheduled", "appointment_rescheduled"},
        {"cancelled", "appointment_cancelled"},
        {"info_only", "info_request"},
        {"escalated", "escalated"},
        {"abandoned", "abandoned"},
        {"browsing", "unresolved"},
        /* contract words pass through */
        {"appointment_scheduled", "appointment_scheduled"},
        {"complaint", "complaint"},
        {"unresolved", "unresolved"},
        {"info_request", "info_request"},
        /* anything else has no mapping */
        {"BOOKED", NULL},
        {"booked ", NULL},
        {"canceled", NULL},
        {"", NULL},
        {"unknown", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        const char *got = dom_outcome_from_legacy(v[i].in);
        if (v[i].want)
            CHECK_STR(got, v[i].want);
        else
            CHECK(got == NULL);
    }
}

#include "testdb.h"

/* ---- customers ------------------------------------------------------------------------------ */

TEST(customer_create_validation)
{
    CHECK(db_open());
    char n200[201], n201[202];
    memset(n200, 'x', 200);
    n200[200] = '\0';
    memset(n201, 'x', 201);
    n201[201] = '\0';
    const struct {
        struct dom_customer_input in;
        int rc;
        const char *field; /* on error */
        const char *name, *phone, *email; /* on success */
    } v[] = {
        /* neither phone nor email */
        {{0}, ERR_INVALID, "phone", NULL, NULL, NULL},
        {{.name = "Only A Name", .has_name = true}, ERR_INVALID, "phone", NULL, NULL, NULL},
        {{.phone = "", .has_phone = true}, ERR_INVALID, "phone", NULL, NULL, NULL},
        {{.email = "", .has_email = true}, ERR_INVALID, "email", NULL, NULL, NULL},
        {{.phone = "+14155550100", .has_phone = true, .phone_null = true}, ERR_INVALID, "phone",
         NULL, NULL, NULL},
        /* a phone that is not a number */
        {{.phone = "555-0100", .has_phone = true}, ERR_INVALID, "phone", NULL, NULL, NULL},
        {{.phone = "1-800-FLOWERS", .has_phone = true}, ERR_INVALID, "phone", NULL, NULL, NULL},
        {{.phone = "call me", .has_phone = true, .email = "ok@example.com", .has_email = true},
         ERR_INVALID, "phone", NULL, NULL, NULL},
        /* an email that is not an address */
        {{.email = "not-an-email", .has_email = true}, ERR_INVALID, "email", NULL, NULL, NULL},
        {{.phone = "+14155550100", .has_phone = true, .email = "a@b", .has_email = true},
         ERR_INVALID, "email", NULL, NULL, NULL},
        /* bad names */
        {{.name = n201, .has_name = true, .phone = "+14155550100", .has_phone = true},
         ERR_INVALID, "name", NULL, NULL, NULL},
        {{.name = "Bad \xFF name", .has_name = true, .phone = "+14155550100", .has_phone = true},
         ERR_INVALID, "name", NULL, NULL, NULL},
        /* successes: normalised phone and email, default and given names */
        {{.phone = "(415) 555-0100", .has_phone = true}, 0, NULL, "Customer " DOTS "0100",
         "+14155550100", NULL},
        {{.email = "Dana.Scully@FBI.gov", .has_email = true}, 0, NULL, "dana.scully", NULL,
         "dana.scully@fbi.gov"},
        {{.phone = "+44 20 7946 0958", .has_phone = true, .email = " Fox@Example.com",
          .has_email = true},
         0, NULL, "Customer " DOTS "0958", "+442079460958", "fox@example.com"},
        {{.name = "  Fox Mulder", .has_name = true, .phone = "415.555.0101", .has_phone = true},
         0, NULL, "Fox Mulder", "+14155550101", NULL},
        {{.name = "   ", .has_name = true, .phone = "+1 415 555 0102", .has_phone = true}, 0,
         NULL, "Customer " DOTS "0102", "+14155550102", NULL},
        {{.name = NULL, .has_name = true, .email = "w@example.org", .has_email = true}, 0, NULL,
         "w", NULL, "w@example.org"},
        {{.name = n200, .has_name = true, .phone = "+14155550103", .has_phone = true}, 0, NULL,
         n200, "+14155550103", NULL},
        {{.name = "Zo\xC3\xAB", .has_name = true, .email = "zoe@example.com", .has_email = true,
          .phone = "", .has_phone = true},
         0, NULL, "Zo\xC3\xAB", NULL, "zoe@example.com"},
    };
    int bad = 0;
    for (size_t i = 0; i < COUNT(v); i++) {
        struct customer c;
        struct err e = {0};
        int rc = dom_customer_create(G.s, &v[i].in, G.a, &c, &e);
        bool ok = rc == v[i].rc;
        if (ok && rc < 0)
            ok = e.field && strcmp(e.field, v[i].field) == 0 && e.msg[0];
        if (ok && rc == 0) {
            struct customer got;
            ok = c.id > 0 && c.is_new_client &&
                 store_customer_get(G.s, c.id, G.a, &got, &e) == 0 &&
                 strcmp(got.name, v[i].name) == 0 &&
                 (v[i].phone ? got.phone && strcmp(got.phone, v[i].phone) == 0 : !got.phone) &&
                 (v[i].email ? got.email && strcmp(got.email, v[i].email) == 0 : !got.email);
        }
        if (!ok) {
            fprintf(stderr, "  case %zu: rc %d (want %d), field %s, msg %s\n", i, rc, v[i].rc,
                    e.field ? e.field : "(null)", e.msg);
            bad++;
        }
    }
    CHECK_INT(bad, 0);
    /* Only the successes were written. */
    struct customer_filter f = {.limit = 100};
    struct customer_page page;
    struct err e = {0};
    CHECK_INT(store_customer_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.total, 8);
    db_close();
}

/* ---- inbound SMS ----------------------------------------------------------------------------- */

static int rx(const char *sid, const char *from, const char *body, int64_t at, int idle,
              struct dom_sms_result *out, struct err *e)
{
    struct dom_sms_in in = {
        .sid = sid, .from = from, .to = "+18005550199", .body = body, .segments = 1,
        .received_at = at, .idle_minutes = idle,
    };
    err_clear(e);
    return dom_sms_receive(G.s, &in, G.a, out, e);
}

static int64_t msg_count(const char *conv)
{
    struct conversation c;
    struct err e = {0};
    return store_conv_get(G.s, conv, G.a, &c, &e) == 0 ? c.message_count : -1;
}

static int64_t conv_total(void)
{
    int64_t n = -1;
    struct err e = {0};
    store_count_conversations(G.s, &n, &e);
    return n;
}

TEST(sms_receive_validation)
{
    CHECK(db_open());
    struct dom_sms_result r;
    struct err e;
    char sid65[66];
    memset(sid65, 'S', 65);
    sid65[65] = '\0';
    CHECK_INT(rx("", "+14155550100", "hi", T0, 45, &r, &e), ERR_INVALID);
    CHECK_STR(e.field, "MessageSid");
    CHECK_INT(rx(NULL, "+14155550100", "hi", T0, 45, &r, &e), ERR_INVALID);
    CHECK_STR(e.field, "MessageSid");
    CHECK_INT(rx(sid65, "+14155550100", "hi", T0, 45, &r, &e), ERR_INVALID);
    CHECK_STR(e.field, "MessageSid");
    CHECK_INT(rx("SM1", "4155550100", "hi", T0, 45, &r, &e), ERR_INVALID); /* not E.164 */
    CHECK_STR(e.field, "phone");
    CHECK_INT(rx("SM1", "whatsapp:+14155550100", "hi", T0, 45, &r, &e), ERR_INVALID);
    /* Nothing was written, and the sid is still free. */
    CHECK_INT(conv_total(), 0);
    CHECK_INT(rx("SM1", "+14155550100", "", T0, 45, &r, &e), 0); /* an empty body is a message */
    CHECK(!r.duplicate);
    CHECK_INT(msg_count(r.conversation_id), 1);
    db_close();
}

TEST(sms_receive_idempotent)
{
    CHECK(db_open());
    struct dom_sms_result first, again;
    struct err e;
    CHECK_INT(rx("SM0a0b0c0d0e0f10111213141516171819", "+14155550100", "Hello", T0, 45, &first,
                 &e),
              0);
    CHECK(!first.duplicate);
    CHECK(first.customer_id > 0);
    CHECK(uuid_is_valid(first.conversation_id));
    CHECK(uuid_is_valid(first.message_id));
    CHECK(first.keyword == NULL);

    /* The same delivery again, also later and with another body: nothing new is stored. */
    for (int i = 0; i < 3; i++) {
        CHECK_INT(rx("SM0a0b0c0d0e0f10111213141516171819", "+14155550100",
                     i == 2 ? "STOP" : "Hello", T0 + i * 10 * MIN, 45, &again, &e),
                  0);
        CHECK(again.duplicate);
        CHECK_STR(again.conversation_id, first.conversation_id);
        CHECK_STR(again.message_id, first.message_id);
    }
    CHECK_INT(msg_count(first.conversation_id), 1);
    CHECK_INT(conv_total(), 1);
    bool out = true;
    CHECK_INT(store_optout_get(G.s, "+14155550100", &out, &e), 0);
    CHECK(!out); /* the duplicate "STOP" changed nothing */

    /* The customer was created once, named from the number. */
    struct customer c;
    CHECK_INT(store_customer_by_phone(G.s, "+14155550100", G.a, &c, &e), 0);
    CHECK_INT(c.id, first.customer_id);
    CHECK_STR(c.name, "Customer " DOTS "0100");

    /* The stored message carries the SMS details. */
    struct detail d;
    CHECK_INT(store_conv_detail(G.s, first.conversation_id, G.a, &d, &e), 0);
    CHECK_INT(d.n_msgs, 1);
    CHECK_STR(d.msgs[0].id, first.message_id);
    CHECK_STR(d.msgs[0].content, "Hello");
    CHECK_STR(d.msgs[0].direction, "inbound");
    CHECK_INT(d.msgs[0].sent_at, T0);
    CHECK(d.msgs[0].sms != NULL);
    CHECK_STR(d.msgs[0].sms->provider_message_id, "SM0a0b0c0d0e0f10111213141516171819");
    CHECK_STR(d.msgs[0].sms->from_number, "+14155550100");
    CHECK_STR(d.msgs[0].sms->to_number, "+18005550199");
    CHECK_STR(d.msgs[0].sms->delivery_status, "received");
    CHECK_STR(d.conv.channel, "sms");
    CHECK_STR(d.conv.status, "active");
    db_close();
}

TEST(sms_receive_idle_window_threading)
{
    CHECK(db_open());
    struct dom_sms_result r1, r2, r3, r4, r5, r6, other;
    struct err e;
    const char *ph = "+14155550100";
    CHECK_INT(rx("SM1", ph, "first", T0, 45, &r1, &e), 0);
    /* 10 minutes later: same thread */
    CHECK_INT(rx("SM2", ph, "second", T0 + 10 * MIN, 45, &r2, &e), 0);
    CHECK_STR(r2.conversation_id, r1.conversation_id);
    CHECK_INT(r2.customer_id, r1.customer_id);
    /* exactly 45 minutes after the last activity: still within the window */
    CHECK_INT(rx("SM3", ph, "third", T0 + 55 * MIN, 45, &r3, &e), 0);
    CHECK_STR(r3.conversation_id, r1.conversation_id);
    CHECK_INT(msg_count(r1.conversation_id), 3);

    /* another number threads on its own */
    CHECK_INT(rx("SMx", "+14155550111", "hi", T0 + 56 * MIN, 45, &other, &e), 0);
    CHECK(strcmp(other.conversation_id, r1.conversation_id) != 0);
    CHECK(other.customer_id != r1.customer_id);

    /* 45 minutes and 1 microsecond later: the thread is closed and a new one starts */
    CHECK_INT(rx("SM4", ph, "fourth", T0 + 100 * MIN + 1, 45, &r4, &e), 0);
    CHECK(strcmp(r4.conversation_id, r1.conversation_id) != 0);
    CHECK_INT(r4.customer_id, r1.customer_id);
    struct conversation old, cur;
    CHECK_INT(store_conv_get(G.s, r1.conversation_id, G.a, &old, &e), 0);
    CHECK_STR(old.status, "completed");
    CHECK_INT(old.completed_at, T0 + 55 * MIN); /* completed at its last activity */
    CHECK_INT(old.message_count, 3);
    CHECK(old.satisfaction_score >= 1 && old.satisfaction_score <= 10); /* scored when closed */
    CHECK_INT(store_conv_get(G.s, r4.conversation_id, G.a, &cur, &e), 0);
    CHECK_STR(cur.status, "active");
    CHECK_INT(cur.initiated_at, T0 + 100 * MIN + 1);
    CHECK_INT(cur.message_count, 1);
    CHECK_STR(cur.last_message_preview, "fourth");

    /* a late delivery (received before the last activity) joins the current thread */
    CHECK_INT(rx("SM5", ph, "late", T0 + 99 * MIN, 45, &r5, &e), 0);
    CHECK_STR(r5.conversation_id, r4.conversation_id);
    CHECK_INT(store_conv_get(G.s, r4.conversation_id, G.a, &cur, &e), 0);
    CHECK_INT(cur.message_count, 2);
    CHECK_INT(cur.last_activity_at, T0 + 100 * MIN + 1);
    CHECK_STR(cur.last_message_preview, "fourth");

    /* a duplicate of an old message long after does not close the current thread */
    struct dom_sms_result dup;
    CHECK_INT(rx("SM1", ph, "first", T0 + 500 * MIN, 45, &dup, &e), 0);
    CHECK(dup.duplicate);
    CHECK_STR(dup.conversation_id, r1.conversation_id);
    CHECK_INT(store_conv_get(G.s, r4.conversation_id, G.a, &cur, &e), 0);
    CHECK_STR(cur.status, "active");

    /* the window is the caller's setting */
    CHECK_INT(rx("SM6", ph, "short window", T0 + 102 * MIN + 1, 1, &r6, &e), 0);
    CHECK(strcmp(r6.conversation_id, r4.conversation_id) != 0);

    /* the customer's timeline shows the three threads, newest first */
    struct conv_page page;
    CHECK_INT(store_timeline(G.s, r1.customer_id, 10, false, 0, NULL, G.a, &page, &e), 0);
    CHECK_INT(page.n, 3);
    CHECK_STR(page.items[0].id, r6.conversation_id);
    CHECK_STR(page.items[1].id, r4.conversation_id);
    CHECK_STR(page.items[2].id, r1.conversation_id);
    CHECK_INT(conv_total(), 4);
    db_close();
}

/* Finds an event of type in a conversation; returns it or NULL. */
static const struct comm_event *find_event(const struct detail *d, const char *type)
{
    for (int i = 0; i < d->n_events; i++)
        if (strcmp(d->events[i].event_type, type) == 0)
            return &d->events[i];
    return NULL;
}

TEST(sms_receive_keywords)
{
    CHECK(db_open());
    struct dom_sms_result r;
    struct err e;
    const char *ph = "+14155550123";
    bool out = true;

    CHECK_INT(rx("SMa", ph, " Stop ", T0, 45, &r, &e), 0);
    CHECK_STR(r.keyword, "opt_out");
    CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
    CHECK(out);
    struct detail d;
    CHECK_INT(store_conv_detail(G.s, r.conversation_id, G.a, &d, &e), 0);
    const struct comm_event *ev = find_event(&d, "sms.opt_out");
    CHECK(ev != NULL);
    CHECK_STR(ev->message_id, r.message_id);
    CHECK_INT(ev->timestamp, T0);
    CHECK_STR(ev->details, "{\"phone\":\"+14155550123\"}");
    CHECK_INT(d.n_msgs, 1); /* the keyword message is stored too */
    CHECK_STR(d.msgs[0].content, " Stop ");

    CHECK_INT(rx("SMb", ph, "start", T0 + MIN, 45, &r, &e), 0);
    CHECK_STR(r.keyword, "opt_in");
    CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
    CHECK(!out);

    CHECK_INT(rx("SMc", ph, "HELP", T0 + 2 * MIN, 45, &r, &e), 0);
    CHECK_STR(r.keyword, "help");
    CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
    CHECK(!out); /* HELP is recorded, the ledger is unchanged */

    CHECK_INT(rx("SMd", ph, "stop please", T0 + 3 * MIN, 45, &r, &e), 0);
    CHECK(r.keyword == NULL);
    CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
    CHECK(!out);

    /* A STOP delivered late (received before the START) does not undo the START. */
    CHECK_INT(rx("SMe", ph, "STOP", T0 + 30 * TIME_US_PER_SEC, 45, &r, &e), 0);
    CHECK_STR(r.keyword, "opt_out");
    CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
    CHECK(!out);
    /* A later one does. */
    CHECK_INT(rx("SMf", ph, "QUIT", T0 + 4 * MIN, 45, &r, &e), 0);
    CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
    CHECK(out);

    /* One thread, all six messages, one event per keyword message in time order. */
    CHECK_INT(store_conv_detail(G.s, r.conversation_id, G.a, &d, &e), 0);
    CHECK_INT(d.n_msgs, 6);
    CHECK_INT(d.n_events, 5);
    static const char *const order[] = {"sms.opt_out", "sms.opt_out", "sms.opt_in", "sms.help",
                                        "sms.opt_out"};
    for (int i = 0; i < 5; i++)
        CHECK_STR(d.events[i].event_type, order[i]);
    /* Another number's ledger is untouched. */
    CHECK_INT(store_optout_get(G.s, "+14155550124", &out, &e), 0);
    CHECK(!out);
    db_close();
}

/* ---- group commit -------------------------------------------------------------------------- */

struct unit {
    char email[40];
    bool fail, slow;
    struct err e;
    int rc;
};
static pthread_mutex_t units_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t units_done = PTHREAD_COND_INITIALIZER;
static int units_left;

static int unit_write(struct store *s, void *ctx, struct err *e)
{
    struct unit *u = ctx;
    if (u->slow) /* holds the writer so that the units after it queue up into one batch */
        usleep(100000);
    struct customer c = {.name = "Unit", .email = u->email, .is_new_client = true};
    int rc = store_customer_insert(s, &c, e);
    if (rc == 0 && u->fail) /* after writing: the write must be undone with the unit */
        return err_set(e, ERR_INVALID, "test", "failing on purpose");
    return rc;
}

static void unit_done(void *ctx, int rc)
{
    struct unit *u = ctx;
    pthread_mutex_lock(&units_lock);
    u->rc = rc;
    units_left--;
    pthread_cond_broadcast(&units_done);
    pthread_mutex_unlock(&units_lock);
}

TEST(group_commit_failing_unit_alone_undone)
{
    CHECK(db_open());
    struct unit u[24];
    memset(u, 0, sizeof u);
    units_left = (int)COUNT(u);
    CHECK_INT(dom_group_commit_start(G.s), 0);
    for (size_t i = 0; i < COUNT(u); i++) {
        snprintf(u[i].email, sizeof u[i].email, "unit%zu@example.com", i);
        u[i].slow = i == 0;
        u[i].fail = i == 7 || i == 8;
        u[i].rc = -100;
        CHECK_INT(dom_tx_async(G.s, unit_write, &u[i], &u[i].e, unit_done, &u[i]), 0);
    }
    pthread_mutex_lock(&units_lock);
    while (units_left > 0)
        pthread_cond_wait(&units_done, &units_lock);
    pthread_mutex_unlock(&units_lock);
    dom_group_commit_stop();
    for (size_t i = 0; i < COUNT(u); i++) {
        struct customer c;
        struct err e = {0};
        int found = store_customer_by_email(G.s, u[i].email, G.a, &c, &e);
        if (u[i].fail) { /* its own error, and nothing it wrote */
            CHECK_INT(u[i].rc, ERR_INVALID);
            CHECK_STR(u[i].e.field, "test");
            CHECK_INT(found, ERR_NOTFOUND);
        } else { /* its neighbours in the batch are committed */
            CHECK_INT(u[i].rc, 0);
            CHECK_INT(found, 0);
        }
    }
    db_close();
}

/* The server's writer indexes for search at most every STORE_SEARCH_LAG_MS: a message committed
 * through it may wait for the index, dom_search_sync makes a search see it at once, and an idle
 * writer indexes what is left by itself (within a few lags; the test allows 5 s). */
static int found_by_q(const char *q)
{
    struct conv_filter f = {.q = q, .limit = 10, .want_total = true};
    struct conv_page page;
    struct err e = {0};
    return store_conv_list(G.s, &f, G.a, &page, &e) == 0 ? page.n : -1;
}

TEST(search_lag_and_sync)
{
    CHECK(db_open());
    CHECK_INT(dom_group_commit_start(G.s), 0);
    struct dom_sms_result r;
    struct err e;
    bool current = false;
    /* two messages back to back: the second commit comes before the lag has passed */
    CHECK_INT(rx("SMlag0001", "+14155550101", "first kiwi", T0, 60, &r, &e), 0);
    CHECK_INT(rx("SMlag0002", "+14155550101", "second papaya", T0 + 1000000, 60, &r, &e), 0);
    CHECK_INT(store_search_current(G.s, &current, &e), 0);
    /* 1 when it had the writer index (the usual case), 0 when there was nothing to index */
    int synced = dom_search_sync(G.s, &e);
    CHECK(synced == 0 || synced == 1);
    if (current)
        CHECK_INT(synced, 0);
    CHECK_INT(store_search_current(G.s, &current, &e), 0);
    CHECK(current);
    CHECK_INT(found_by_q("papaya"), 1);
    CHECK_INT(found_by_q("kiwi"), 1);
    /* a third, then nothing: the idle writer indexes it within a few lags */
    CHECK_INT(rx("SMlag0003", "+14155550101", "third quince", T0 + 2000000, 60, &r, &e), 0);
    current = false;
    for (int i = 0; i < 250 && !current; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        CHECK_INT(store_search_current(G.s, &current, &e), 0);
    }
    CHECK(current);
    CHECK_INT(found_by_q("quince"), 1);
    dom_group_commit_stop();
    db_close();
}

TEST_MAIN(T(email_normalise_table), T(sms_keyword_table), T(enumerations),
          T(outcome_from_legacy_table), T(customer_create_validation), T(sms_receive_validation),
          T(sms_receive_idempotent), T(sms_receive_idle_window_threading),
          T(sms_receive_keywords), T(group_commit_failing_unit_alone_undone),
          T(search_lag_and_sync))
