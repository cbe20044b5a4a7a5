/*
 * cmd_demo.c - `switchboard demo [--conversations N] [--seed S]`: realistic demo data.
 *
 * Layer: cli (writes only through the domain layer). A fixed-seed generator builds customers
 * of a medical spa and their voice calls (transcripts, function calls, unidentified callers),
 * SMS threads (delivery statuses, MMS) and e-mail threads, spread over the last 90 days and
 * anchored at today's midnight (UTC), so the same seed on the same day gives the same data.
 * Finished conversations are scored by the real scorer. Work is committed in batches of 500
 * conversations with a progress line, so a million conversations load in minutes.
 */
#include "cli/cli.h"

#include "core/config.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "domain/domain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 500
#define DAY_US (86400 * TIME_US_PER_SEC)

static uint64_t rng_state;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int pick(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

#define PICK(arr) (arr)[pick((int)(sizeof(arr) / sizeof((arr)[0])))]

static const char *const FIRST[] = {
    "Olivia", "Emma",  "Ava",    "Sophia",  "Mia",    "Isabella", "Amelia", "Harper", "Evelyn",
    "Abigail", "Emily", "Ella",  "Camila",  "Luna",   "Sofia",    "Grace",  "Chloe",  "Nora",
    "Liam",   "Noah",  "Mateo",  "Lucas",   "Ethan",  "Daniel",   "Renée",  "Zoë",    "Aiko",
    "Priya",  "Fatima", "Chen",  "Siobhan", "Marisol", "Keisha",  "Ingrid", "Yara",   "Leilani"};
static const char *const LAST[] = {
    "Smith",  "Johnson",  "Williams", "Brown",  "Garcia", "Miller",   "Davis",  "Rodriguez",
    "Martinez", "Lopez",  "Wilson",   "Anderson", "Thomas", "Taylor", "Moore",  "Nguyen",
    "O'Brien", "Kowalski", "Tanaka",  "Patel",  "Okafor", "Haddad",   "Rossi",  "Fischer"};
static const char *const SERVICES[] = {"Botox",           "HydraFacial",    "laser hair removal",
                                       "chemical peel",   "dermal fillers", "microneedling",
                                       "CoolSculpting",   "IPL photofacial", "massage"};
static const char *const DAYS[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                   "Saturday"};
static const char *const TIMES[] = {"9:30", "10 am", "11:15", "1 pm", "2:30", "4 pm", "5:45"};
static const int AREAS[] = {212, 213, 305, 310, 323, 404, 415, 424, 512, 617,
                            646, 702, 713, 718, 786, 818, 858, 917, 949, 347};

enum scenario { BOOK, RESCHEDULE, CANCEL, PRICING, COMPLAINT, ESCALATE, ABANDON, N_SCENARIOS };

struct demo {
    struct store *s;
    struct arena *a;
    int64_t base;      /* today's midnight, UTC */
    int64_t *cust_ids; /* created customers */
    const char **cust_phones;
    int n_cust;
    long done, target;
    long msgs, events;
};

/* One transcript line into the segments array and the content text. */
static void line(struct buf *segs, struct buf *text, const char *speaker, double ts,
                 const char *s)
{
    if (segs->len > 1)
        buf_addc(segs, ',');
    buf_lit(segs, "{\"speaker\":");
    json_str(segs, speaker);
    buf_lit(segs, ",\"text\":");
    json_str(segs, s);
    buf_lit(segs, ",\"timestamp\":");
    json_double(segs, ts);
    buf_addc(segs, '}');
    if (text->len)
        buf_addc(text, '\n');
    buf_adds(text, strcmp(speaker, "customer") == 0 ? "Customer: " : "Assistant: ");
    buf_adds(text, s);
}

static int voice_call(struct demo *d, const char *conv_id, int64_t at, enum scenario sc,
                      const char *svc, struct err *e)
{
    struct buf segs, text, calls;
    buf_init(&segs, 1024, 1 << 20);
    buf_init(&text, 1024, 1 << 20);
    buf_init(&calls, 256, 1 << 20);
    buf_addc(&segs, '[');
    buf_addc(&calls, '[');
    const char *day = PICK(DAYS), *tm = PICK(TIMES);
    double t = 0.5;
    char tmp[512];
    line(&segs, &text, "assistant", t, "Thank you for calling Luxe Aesthetics, this is Ava. How can I help you today?");
    int interruptions = 0;
    switch (sc) {
    case BOOK:
    case RESCHEDULE:
        snprintf(tmp, sizeof tmp, "Hi, I'd like to %s a %s appointment, maybe %s?",
                 sc == BOOK ? "book" : "reschedule my", svc, day);
        line(&segs, &text, "customer", t += 4.2, tmp);
        line(&segs, &text, "assistant", t += 3.1, "Let me check availability for you.");
        buf_printf(&calls, "{\"name\":\"check_availability\",\"args\":{\"service\":\"%s\","
                           "\"day\":\"%s\"},\"result\":{\"slots\":[\"%s\",\"%s\"]}}",
                   svc, day, tm, "3 pm");
        snprintf(tmp, sizeof tmp, "I have %s or 3 pm on %s. Which works better?", tm, day);
        line(&segs, &text, "assistant", t += 2.4, tmp);
        snprintf(tmp, sizeof tmp, "%s is perfect, thank you!", tm);
        line(&segs, &text, "customer", t += 3.3, tmp);
        buf_printf(&calls, ",{\"name\":\"%s\",\"args\":{\"service\":\"%s\",\"time\":\"%s %s\"},"
                           "\"result\":{\"success\":true,\"status\":\"%s\"}}",
                   sc == BOOK ? "book_appointment" : "reschedule_appointment", svc, day, tm,
                   sc == BOOK ? "booked" : "rescheduled");
        snprintf(tmp, sizeof tmp, "You're all set for %s on %s at %s. See you then!", svc, day, tm);
        line(&segs, &text, "assistant", t += 2.9, tmp);
        line(&segs, &text, "customer", t += 2.0, "Great, thanks so much. Bye!");
        break;
    case CANCEL:
        line(&segs, &text, "customer", t += 3.8, "Hi, I need to cancel my appointment this week, something came up.");
        buf_printf(&calls, "{\"name\":\"cancel_appointment\",\"args\":{\"reason\":\"conflict\"},"
                           "\"result\":{\"success\":true,\"status\":\"cancelled\"}}");
        line(&segs, &text, "assistant", t += 2.7, "No problem, I've cancelled it. Would you like to rebook later?");
        line(&segs, &text, "customer", t += 2.5, "Not right now, thanks.");
        break;
    case PRICING:
        snprintf(tmp, sizeof tmp, "How much does %s cost, and how long does it take?", svc);
        line(&segs, &text, "customer", t += 3.5, tmp);
        snprintf(tmp, sizeof tmp, "%s starts at $%d and takes about %d minutes.", svc,
                 150 + pick(20) * 25, 30 + pick(4) * 15);
        line(&segs, &text, "assistant", t += 3.0, tmp);
        line(&segs, &text, "customer", t += 2.2, "Okay, good to know. I'll think about it.");
        break;
    case COMPLAINT:
        line(&segs, &text, "customer", t += 4.0, "I was charged twice for my last visit and nobody called me back. This is really frustrating.");
        interruptions = 1 + pick(3);
        line(&segs, &text, "assistant", t += 2.5, "I'm sorry about that. Let me look into the charge.");
        line(&segs, &text, "customer", t += 2.0, "I want a refund, this is unacceptable.");
        break;
    case ESCALATE:
        line(&segs, &text, "customer", t += 3.2, "I have a question about a reaction after my filler treatment.");
        line(&segs, &text, "assistant", t += 2.8, "I'm sorry to hear that. Let me connect you with a nurse right away.");
        buf_printf(&calls, "{\"name\":\"transfer_to_human\",\"args\":{\"reason\":\"medical\"},"
                           "\"result\":{\"success\":true}}");
        line(&segs, &text, "customer", t += 1.5, "Please, I'd like to speak to a person.");
        break;
    default:
        line(&segs, &text, "customer", t += 2.0, "Hello?");
        break;
    }
    buf_addc(&segs, ']');
    buf_addc(&calls, ']');
    struct msg_voice v = {
        .duration_seconds = t + 1.5,
        .recording_url = NULL,
        .transcript_segments = segs.data,
        .function_calls = calls.data,
        .interruption_count = interruptions,
        .audio_quality_score = 0.7 + (double)pick(30) / 100.0,
    };
    struct message m = {0};
    m.conversation_id[0] = 0;
    snprintf(m.conversation_id, sizeof m.conversation_id, "%s", conv_id);
    m.channel = "voice";
    m.direction = "inbound";
    m.content = text.data;
    m.sent_at = at + (int64_t)(t * TIME_US_PER_SEC);
    m.processed = true;
    m.voice = &v;
    int rc = dom_msg_append(d->s, &m, d->a, e);
    d->msgs++;
    if (rc == 0)
        rc = dom_event_record(d->s, conv_id, "session_started", "{\"source\":\"demo\"}", NULL, at,
                              e);
    if (rc == 0 && calls.len > 2)
        rc = dom_event_record(d->s, conv_id, "function_called", calls.data, m.id, m.sent_at, e);
    d->events += 1 + (calls.len > 2);
    buf_release(&segs);
    buf_release(&text);
    buf_release(&calls);
    return rc;
}

static int sms_thread(struct demo *d, const char *conv_id, const char *phone, int64_t at,
                      enum scenario sc, const char *svc, struct err *e)
{
    static const char *const SPA = "+13105550100";
    const char *day = PICK(DAYS), *tm = PICK(TIMES);
    char in1[256], out1[256], in2[256], out2[256];
    switch (sc) {
    case BOOK:
    case RESCHEDULE:
        snprintf(in1, sizeof in1, "Hi! Can I %s %s for %s?", sc == BOOK ? "book" : "move my",
                 svc, day);
        snprintf(out1, sizeof out1, "Of course! We have %s on %s. Shall I book it?", tm, day);
        snprintf(in2, sizeof in2, "Yes please, that's perfect. Thank you!");
        snprintf(out2, sizeof out2, "You're booked for %s on %s at %s. See you then!", svc, day,
                 tm);
        break;
    case CANCEL:
        snprintf(in1, sizeof in1, "I need to cancel my %s appointment, sorry.", svc);
        snprintf(out1, sizeof out1, "No problem, it's cancelled. Text us anytime to rebook.");
        in2[0] = out2[0] = '\0';
        break;
    case PRICING:
        snprintf(in1, sizeof in1, "How much is %s?", svc);
        snprintf(out1, sizeof out1, "%s starts at $%d. Would you like to book a consultation?",
                 svc, 150 + pick(20) * 25);
        snprintf(in2, sizeof in2, "Thanks, I'll let you know.");
        out2[0] = '\0';
        break;
    case COMPLAINT:
        snprintf(in1, sizeof in1, "I was charged twice for my %s. Really frustrating.", svc);
        snprintf(out1, sizeof out1, "We're sorry! Our billing team will call you today.");
        snprintf(in2, sizeof in2, "Please do, I want a refund.");
        out2[0] = '\0';
        break;
    default:
        snprintf(in1, sizeof in1, "Are you open on %s?", day);
        out1[0] = in2[0] = out2[0] = '\0';
        break;
    }
    const char *bodies[4] = {in1, out1, in2, out2};
    int64_t t = at;
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0 && bodies[i][0]; i++) {
        bool inbound = i % 2 == 0;
        char sid[40];
        snprintf(sid, sizeof sid, "SM%016llx%016llx", (unsigned long long)rnd(),
                 (unsigned long long)rnd());
        struct msg_sms x = {
            .from_number = inbound ? phone : SPA,
            .to_number = inbound ? SPA : phone,
            .provider_message_id = sid,
            .delivery_status = inbound ? "received" : "delivered",
            .segments = 1,
            .media_urls = "[]",
            .delivered_at = inbound ? 0 : t + 2 * TIME_US_PER_SEC,
        };
        struct message m = {0};
        snprintf(m.conversation_id, sizeof m.conversation_id, "%s", conv_id);
        m.channel = "sms";
        m.direction = inbound ? "inbound" : "outbound";
        m.content = bodies[i];
        m.sent_at = t;
        m.processed = true;
        m.sms = &x;
        rc = dom_msg_append(d->s, &m, d->a, e);
        d->msgs++;
        t += (30 + pick(600)) * TIME_US_PER_SEC;
    }
    return rc;
}

static int email_thread(struct demo *d, const char *conv_id, const char *email,
                        const char *name, int64_t at, enum scenario sc, const char *svc,
                        struct err *e)
{
    char subject[128], body1[512], body2[512];
    switch (sc) {
    case BOOK:
    case RESCHEDULE:
        snprintf(subject, sizeof subject, "%s appointment", svc);
        snprintf(body1, sizeof body1, "Hello,\n\nI would like to book %s next %s if you have "
                                      "availability.\n\nThanks,\n%s", svc, PICK(DAYS), name);
        snprintf(body2, sizeof body2, "Hi %s,\n\nYou're booked! We look forward to seeing you."
                                      "\n\nLuxe Aesthetics", name);
        break;
    case COMPLAINT:
        snprintf(subject, sizeof subject, "Billing problem");
        snprintf(body1, sizeof body1, "Hi,\n\nI was charged twice for my %s. This is the second "
                                      "time and it is frustrating. Please refund me.\n\n%s",
                 svc, name);
        snprintf(body2, sizeof body2, "Dear %s,\n\nWe apologise; the duplicate charge has been "
                                      "refunded.\n\nLuxe Aesthetics", name);
        break;
    default:
        snprintf(subject, sizeof subject, "Question about %s", svc);
        snprintf(body1, sizeof body1, "Hello,\n\nHow long does %s take and what does it cost?"
                                      "\n\n%s", svc, name);
        snprintf(body2, sizeof body2, "Hi %s,\n\nIt takes about 45 minutes and starts at $%d."
                                      "\n\nLuxe Aesthetics", name, 150 + pick(20) * 25);
        break;
    }
    char mid1[128], mid2[128], refs[160];
    snprintf(mid1, sizeof mid1, "<%016llx@mail.example.com>", (unsigned long long)rnd());
    snprintf(mid2, sizeof mid2, "<%016llx@spa.example>", (unsigned long long)rnd());
    snprintf(refs, sizeof refs, "[\"%s\"]", mid1);
    struct msg_email x1 = {.subject = subject, .from_address = email,
                           .to_address = "hello@spa.example", .body_text = body1,
                           .provider_message_id = mid1, .delivery_status = "received"};
    char re[160];
    snprintf(re, sizeof re, "Re: %s", subject);
    struct msg_email x2 = {.subject = re, .from_address = "hello@spa.example",
                           .to_address = email, .body_text = body2, .in_reply_to = mid1,
                           .references = refs, .provider_message_id = mid2,
                           .delivery_status = "delivered"};
    struct message m = {0};
    snprintf(m.conversation_id, sizeof m.conversation_id, "%s", conv_id);
    m.channel = "email";
    m.direction = "inbound";
    m.content = body1;
    m.sent_at = at;
    m.processed = true;
    m.email = &x1;
    int rc = dom_msg_append(d->s, &m, d->a, e);
    d->msgs++;
    if (rc == 0 && sc != ABANDON) {
        struct message r = {0};
        snprintf(r.conversation_id, sizeof r.conversation_id, "%s", conv_id);
        r.channel = "email";
        r.direction = "outbound";
        r.content = body2;
        r.sent_at = at + (int64_t)(20 + pick(240)) * 60 * TIME_US_PER_SEC;
        r.processed = true;
        r.email = &x2;
        rc = dom_msg_append(d->s, &r, d->a, e);
        d->msgs++;
    }
    return rc;
}

static int one_conversation(struct demo *d, struct err *e)
{
    int roll = pick(100);
    const char *channel = roll < 45 ? "voice" : roll < 80 ? "sms" : "email";
    enum scenario sc = (enum scenario)pick(N_SCENARIOS);
    if (pick(100) < 40)
        sc = BOOK; /* bookings are the common case */
    const char *svc = PICK(SERVICES);
    /* spread over 90 days, busier in business hours */
    int64_t day = pick(90);
    int64_t secs = (8 + pick(11)) * 3600 + pick(3600);
    int64_t at = d->base - day * DAY_US + secs * TIME_US_PER_SEC - 4 * 3600 * TIME_US_PER_SEC;
    int64_t latest = time_now_us() - 5 * 3600 * TIME_US_PER_SEC; /* whole threads end before now */
    if (at > latest)
        at = latest - (int64_t)pick(3600) * TIME_US_PER_SEC;
    int ci = pick(d->n_cust);
    int64_t cust = d->cust_ids[ci];
    if (strcmp(channel, "voice") == 0 && pick(100) < 12)
        cust = 0; /* an unidentified caller */
    struct customer c = {0};
    if (cust && store_customer_get(d->s, cust, d->a, &c, e) < 0)
        return e->code;
    if (strcmp(channel, "email") == 0 && !c.email)
        channel = "sms";
    if (strcmp(channel, "sms") == 0 && !c.phone)
        channel = "email";
    char meta[96];
    snprintf(meta, sizeof meta, "{\"source\":\"demo\",\"scenario\":%d}", (int)sc);
    struct conversation conv;
    int rc = dom_conv_open(d->s, channel, cust, at, NULL, meta, d->a, &conv, e);
    if (rc < 0)
        return rc;
    if (strcmp(channel, "voice") == 0)
        rc = voice_call(d, conv.id, at, sc, svc, e);
    else if (strcmp(channel, "sms") == 0)
        rc = sms_thread(d, conv.id, c.phone, at, sc, svc, e);
    else
        rc = email_thread(d, conv.id, c.email, c.name, at, sc, svc, e);
    if (rc < 0)
        return rc;
    if (cust && (sc == BOOK || sc == RESCHEDULE) && pick(100) < 80) {
        struct appointment ap = {.customer_id = cust, .service = svc, .status = "scheduled",
                                 .provider = pick(2) ? "Dr. Reyes" : "Nurse Kim",
                                 .starts_at = at + (int64_t)(1 + pick(14)) * DAY_US,
                                 .duration_minutes = 30 + pick(4) * 15};
        if ((rc = store_appointment_insert(d->s, &ap, e)) < 0)
            return rc;
    }
    /* everything older than a day is finished; recent threads may still be open */
    bool recent = time_now_us() - at < DAY_US && pick(100) < 60;
    if (!recent) {
        int64_t end = at + (int64_t)(5 + pick(50)) * 60 * TIME_US_PER_SEC;
        rc = dom_conv_complete(d->s, conv.id, end, d->a, NULL, e);
        if (rc == 0 && pick(100) < 3) { /* a few calls dropped by the telephony side */
            struct conv_update u = {.status = "failed"};
            rc = store_conv_update(d->s, conv.id, &u, e);
        }
    }
    return rc;
}

static int batch(struct store *s, void *ctx, struct err *e)
{
    struct demo *d = ctx;
    long n = d->target - d->done < BATCH ? d->target - d->done : BATCH;
    uint64_t saved = rng_state; /* a retried batch must generate the same data */
    for (long i = 0; i < n; i++) {
        arena_reset(d->a);
        int rc = one_conversation(d, e);
        if (rc < 0) {
            rng_state = saved;
            return rc;
        }
    }
    return 0;
}

static int make_customers(struct demo *d, int n, struct err *e)
{
    int rc = store_begin(d->s, true, e);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n && rc == 0; i++) {
        arena_reset(d->a);
        char name[96], phone[32], email[128];
        const char *first = PICK(FIRST), *last = PICK(LAST);
        snprintf(name, sizeof name, "%s %s", first, last);
        int area = PICK(AREAS);
        int exch = 200 + pick(800);
        if (exch % 100 == 11)
            exch++;
        snprintf(phone, sizeof phone, "+1%d%03d%04d", area, exch, i % 10000);
        snprintf(email, sizeof email, "%c%s.%d@example.com", first[0] | 0x20, last, i);
        for (char *p = email; *p; p++)
            if (*p == '\'')
                *p = 'x';
        struct dom_customer_input in = {.name = name, .phone = phone, .email = email,
                                        .has_name = true, .has_phone = true,
                                        .has_email = pick(100) < 70};
        if (pick(100) < 8) { /* some reach us only by e-mail */
            in.has_phone = false;
            in.has_email = true;
        }
        struct customer c;
        rc = dom_customer_create(d->s, &in, d->a, &c, e);
        if (rc == ERR_CONFLICT) { /* a generated phone repeated: skip it */
            rc = 0;
            continue;
        }
        if (rc == 0) {
            d->cust_ids[d->n_cust] = c.id;
            d->n_cust++;
        }
    }
    if (rc == 0)
        return store_commit(d->s, e);
    store_rollback(d->s);
    return rc;
}

int cmd_demo(int argc, char **argv)
{
    char **rest;
    int n;
    int rc = cli_config(argc, argv, &rest, &n);
    if (rc) {
        free(rest);
        return rc;
    }
    long target = 300;
    unsigned long long seed = 42;
    bool if_empty = false;
    for (int i = 0; i < n; i++) {
        char *end = NULL;
        if (strcmp(rest[i], "--conversations") == 0 && i + 1 < n) {
            errno = 0;
            target = strtol(rest[++i], &end, 10);
            if (errno || *end || target < 1 || target > 50000000) {
                fprintf(stderr, "switchboard demo: --conversations must be 1..50000000\n");
                free(rest);
                return EXIT_USAGE;
            }
        } else if (strcmp(rest[i], "--seed") == 0 && i + 1 < n) {
            seed = strtoull(rest[++i], &end, 10);
        } else if (strcmp(rest[i], "--if-empty") == 0) {
            if_empty = true;
        } else {
            fprintf(stderr, "usage: switchboard demo [--conversations N] [--seed S] [--if-empty] "
                            "[--db URL]\n");
            free(rest);
            return EXIT_USAGE;
        }
    }
    free(rest);
    struct store *s = cli_open_store(true);
    if (!s)
        return EXIT_RUNTIME;
    struct err e;
    err_clear(&e);
    int64_t have = 0;
    if (store_count_conversations(s, &have, &e) < 0) {
        fprintf(stderr, "switchboard demo: %s\n", e.msg);
        store_close(s);
        return EXIT_RUNTIME;
    }
    if (if_empty && have > 0) {
        fprintf(stderr, "demo: the database already has %lld conversations; nothing to do\n",
                (long long)have);
        store_close(s);
        return 0;
    }
    rng_state = seed;
    struct demo d = {.s = s, .target = target};
    d.a = arena_new(1 << 16, 0);
    int64_t now = time_now_us();
    d.base = now - now % DAY_US;
    int n_cust = (int)(target / 6 < 20 ? 20 : target / 6 > 2000000 ? 2000000 : target / 6);
    d.cust_ids = calloc((size_t)n_cust, sizeof *d.cust_ids);
    if (!d.a || !d.cust_ids) {
        fprintf(stderr, "switchboard demo: out of memory\n");
        store_close(s);
        return EXIT_RUNTIME;
    }
    int64_t t0 = time_mono_us();
    bool tty = isatty(STDERR_FILENO);
    rc = make_customers(&d, n_cust, &e);
    while (rc == 0 && d.done < d.target) {
        rc = dom_tx(s, batch, &d, &e);
        if (rc == 0) {
            d.done += d.target - d.done < BATCH ? d.target - d.done : BATCH;
            double secs = (double)(time_mono_us() - t0) / 1e6;
            if (tty || d.done == d.target || d.done % 50000 == 0)
                fprintf(stderr, "%sdemo: %ld/%ld conversations (%.0f/s)%s", tty ? "\r" : "",
                        d.done, d.target, (double)d.done / (secs > 0 ? secs : 1),
                        tty && d.done < d.target ? "" : "\n");
        }
    }
    if (rc < 0)
        fprintf(stderr, "switchboard demo: %s\n", e.msg);
    else
        fprintf(stderr, "demo: %d customers, %ld conversations, %ld messages, %ld events in %.1fs\n",
                d.n_cust, d.done, d.msgs, d.events, (double)(time_mono_us() - t0) / 1e6);
    free(d.cust_ids);
    arena_free(d.a);
    store_close(s);
    return rc < 0 ? EXIT_RUNTIME : 0;
}
