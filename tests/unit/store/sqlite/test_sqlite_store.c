/*
 * test_sqlite_store.c - the store contract suite, run on a real temporary SQLite file.
 *
 * Every case opens a fresh database (mkstemp path, migrated; the file and its -wal/-shm are
 * removed afterwards) and drives it through store.h and, where the product does, the domain
 * layer (dom_customer_create, dom_conv_open, dom_msg_append, dom_event_record, dom_tx). Covers:
 * migrations idempotent; customers by id/phone/email and the unique phone/email conflicts naming
 * the field; messages updating message_count, last_activity_at and the preview; conv_list filters
 * (channel, status, customer), `total` equal to the real count (the kept per-channel/status counts
 * included, also after status changes), keyset cursor walks equal to offset paging for every sort
 * and direction, full-text `q` by message word, subject and customer name; timeline order and
 * stats; detail with each message's channel block and events in time order; sms_find by provider
 * id; the opt-out ledger with out-of-order timestamps; API tokens; transactions (rollback, nesting,
 * dom_tx) leaving nothing behind; bulk loads (indexes set aside, surviving a reopen, rebuilt
 * once); the search index following commits, not rolled-back work. Only headers are included: no single object mirrors this file.
 * The suite talks to the backend only through store_open(url), so it can run on another backend.
 */
#include "core/arena.h"
#include "core/err.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "domain/domain.h"
#include "store/store.h"

#include "../../testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define T0 INT64_C(1762571910000000) /* 2025-11-08T03:18:30Z */
#define MIN (60 * TIME_US_PER_SEC)

#include "testdb.h"

/* A customer through the domain layer; id 0 on failure. */
static int64_t mk_customer(const char *name, const char *phone, const char *email)
{
    struct dom_customer_input in = {
        .name = name, .phone = phone, .email = email,
        .has_name = name != NULL, .has_phone = phone != NULL, .has_email = email != NULL,
    };
    struct customer c;
    struct err e = {0};
    if (dom_customer_create(G.s, &in, G.a, &c, &e) < 0) {
        fprintf(stderr, "  customer: %s\n", e.msg);
        return 0;
    }
    return c.id;
}

/* Opens a conversation at `at` and copies its id into id; false on failure. */
static bool mk_conv(const char *channel, int64_t customer, int64_t at, const char *subject,
                    char id[UUID_STR_LEN + 1])
{
    struct conversation c;
    struct err e = {0};
    if (dom_conv_open(G.s, channel, customer, at, subject, NULL, G.a, &c, &e) < 0) {
        fprintf(stderr, "  conversation: %s\n", e.msg);
        return false;
    }
    memcpy(id, c.id, UUID_STR_LEN + 1);
    return true;
}

/* Appends a plain message (no channel block) at `at`; false on failure. */
static bool mk_msg(const char *conv, const char *channel, const char *content, int64_t at)
{
    struct message m = {0};
    memcpy(m.conversation_id, conv, UUID_STR_LEN + 1);
    m.channel = channel;
    m.direction = "inbound";
    m.content = content;
    m.sent_at = at;
    struct err e = {0};
    if (dom_msg_append(G.s, &m, G.a, &e) < 0) {
        fprintf(stderr, "  message: %s\n", e.msg);
        return false;
    }
    return true;
}

static bool set_status(const char *id, const char *status)
{
    struct conv_update u = {.status = status};
    struct err e = {0};
    return store_conv_update(G.s, id, &u, &e) == 0;
}

static bool set_score(const char *id, int score)
{
    struct conv_update u = {.set_score = true, .satisfaction_score = score};
    struct err e = {0};
    return store_conv_update(G.s, id, &u, &e) == 0;
}

/* ---- schema -------------------------------------------------------------------------------- */

TEST(migrate_is_idempotent)
{
    CHECK(db_open()); /* migrated once already */
    struct err e = {0};
    int cur = -1, latest = -1;
    CHECK_INT(store_schema_version(G.s, &cur, &latest, &e), 0);
    CHECK(latest >= 1);
    CHECK_INT(cur, latest);
    int from = -1, to = -1;
    CHECK_INT(store_migrate(G.s, &from, &to, &e), 0);
    CHECK_INT(from, latest);
    CHECK_INT(to, latest);
    CHECK_INT(store_migrate(G.s, &from, &to, &e), 0);
    CHECK_INT(from, to);
    CHECK_INT(store_ping(G.s, &e), 0);
    CHECK_STR(store_backend(G.s), "sqlite");
    int64_t n = -1;
    CHECK_INT(store_count_conversations(G.s, &n, &e), 0);
    CHECK_INT(n, 0);

    /* A fresh file starts at version 0 and ends at the latest. */
    char path2[64];
    snprintf(path2, sizeof path2, "/tmp/sb_store_test_XXXXXX");
    int fd = mkstemp(path2);
    CHECK(fd >= 0);
    close(fd);
    struct store *s2 = store_open(path2, &e);
    int rc = s2 ? store_migrate(s2, &from, &to, &e) : -1;
    store_close(s2);
    char p[80];
    snprintf(p, sizeof p, "%s-wal", path2);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path2);
    unlink(p);
    unlink(path2);
    CHECK_INT(rc, 0);
    CHECK_INT(from, 0);
    CHECK_INT(to, latest);
    db_close();
}

TEST(open_errors)
{
    struct err e = {0};
    CHECK(store_open("", &e) == NULL);
    CHECK_INT(e.code, ERR_INVALID);
    CHECK(store_open(NULL, &e) == NULL);
    CHECK(store_open("postgres://localhost/sb", &e) == NULL);
    CHECK_INT(e.code, ERR_INVALID);
    CHECK(store_open("/nonexistent-dir-for-tests/sb.db", &e) == NULL);
    CHECK(e.code < 0);
    CHECK(strstr(e.msg, "/nonexistent-dir-for-tests/sb.db") != NULL);
}

/* ---- customers ----------------------------------------------------------------------------- */

TEST(customer_insert_and_get)
{
    CHECK(db_open());
    struct err e = {0};
    struct customer c = {.name = "Ada Lovelace", .phone = "+14155550101", .is_new_client = true};
    CHECK_INT(store_customer_insert(G.s, &c, &e), 0);
    CHECK(c.id > 0);
    CHECK(c.created_at > 0);

    struct customer got;
    CHECK_INT(store_customer_get(G.s, c.id, G.a, &got, &e), 0);
    CHECK_INT(got.id, c.id);
    CHECK_STR(got.name, "Ada Lovelace");
    CHECK_STR(got.phone, "+14155550101");
    CHECK(got.email == NULL);
    CHECK(got.is_new_client);
    CHECK_INT(got.created_at, c.created_at);
    CHECK_INT(got.conversation_count, 0);
    CHECK_INT(got.last_contact_at, 0);

    CHECK_INT(store_customer_by_phone(G.s, "+14155550101", G.a, &got, &e), 0);
    CHECK_INT(got.id, c.id);
    CHECK_INT(store_customer_by_phone(G.s, "+14155550102", G.a, &got, &e), ERR_NOTFOUND);
    CHECK_INT(store_customer_get(G.s, c.id + 100, G.a, &got, &e), ERR_NOTFOUND);

    /* Through the domain layer: normalised phone and email. */
    int64_t id = mk_customer(NULL, NULL, "  Grace.Hopper@Example.COM ");
    CHECK(id > 0);
    CHECK_INT(store_customer_by_email(G.s, "grace.hopper@example.com", G.a, &got, &e), 0);
    CHECK_INT(got.id, id);
    CHECK_STR(got.name, "grace.hopper");
    CHECK(got.phone == NULL);
    CHECK_INT(store_customer_by_email(G.s, "Grace.Hopper@Example.COM", G.a, &got, &e),
              ERR_NOTFOUND); /* stored lower-case: callers normalise first */
    int64_t id2 = mk_customer(NULL, "(415) 555-0199", NULL);
    CHECK(id2 > 0);
    CHECK_INT(store_customer_by_phone(G.s, "+14155550199", G.a, &got, &e), 0);
    CHECK_INT(got.id, id2);
    CHECK_STR(got.name, "Customer \xE2\x80\xA2\xE2\x80\xA2" "0199");
    db_close();
}

TEST(customer_unique_conflicts)
{
    CHECK(db_open());
    struct err e = {0};
    CHECK(mk_customer("First", "+14155550101", "first@example.com") > 0);

    struct customer dup = {.name = "Second", .phone = "+14155550101"};
    CHECK_INT(store_customer_insert(G.s, &dup, &e), ERR_CONFLICT);
    CHECK_STR(e.field, "phone");
    struct customer dup2 = {.name = "Third", .email = "first@example.com"};
    err_clear(&e);
    CHECK_INT(store_customer_insert(G.s, &dup2, &e), ERR_CONFLICT);
    CHECK_STR(e.field, "email");

    /* The domain layer reports the same, for the same number typed differently. */
    struct dom_customer_input in = {.phone = "(415) 555-0101", .has_phone = true};
    struct customer out;
    err_clear(&e);
    CHECK_INT(dom_customer_create(G.s, &in, G.a, &out, &e), ERR_CONFLICT);
    CHECK_STR(e.field, "phone");
    struct dom_customer_input in2 = {.email = "FIRST@example.com", .has_email = true};
    err_clear(&e);
    CHECK_INT(dom_customer_create(G.s, &in2, G.a, &out, &e), ERR_CONFLICT);
    CHECK_STR(e.field, "email");

    /* Nothing half-done is left: the store keeps working and holds one customer. */
    CHECK(mk_customer("Other", "+14155550102", NULL) > 0);
    struct customer_filter f = {.limit = 10};
    struct customer_page page;
    CHECK_INT(store_customer_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.total, 2);
    db_close();
}

TEST(customer_list_search)
{
    CHECK(db_open());
    struct err e = {0};
    int64_t ada = mk_customer("Ada Lovelace", "+14155550101", "ada@example.com");
    int64_t grace = mk_customer("Grace Hopper", NULL, "grace@navy.example");
    int64_t zoe = mk_customer("Zo\xC3\xAB Saldana", "+442079460958", NULL);
    CHECK(ada && grace && zoe);
    static const struct {
        const char *search, *phone;
        int n;
    } v[] = {
        {NULL, NULL, 3},          {"lovelace", NULL, 1}, {"LOVE", NULL, 1},
        {"navy", NULL, 1},        {"example", NULL, 2},  {"zoe", NULL, 1}, /* diacritics */
        {"0958", "+442079460958", 1}, {"nobody", NULL, 0},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        struct customer_filter f = {.search = v[i].search, .search_phone = v[i].phone,
                                    .limit = 10};
        struct customer_page page;
        CHECK_INT(store_customer_list(G.s, &f, G.a, &page, &e), 0);
        if (page.n != v[i].n || page.total != v[i].n)
            fprintf(stderr, "  search \"%s\": n %d total %lld, want %d\n",
                    v[i].search ? v[i].search : "(none)", page.n, (long long)page.total,
                    v[i].n);
        CHECK_INT(page.n, v[i].n);
        CHECK_INT(page.total, v[i].n);
    }
    /* Newest first, with paging. */
    struct customer_filter f = {.limit = 2};
    struct customer_page page;
    CHECK_INT(store_customer_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.n, 2);
    CHECK_INT(page.total, 3);
    CHECK_INT(page.items[0].id, zoe);
    CHECK_INT(page.items[1].id, grace);
    f.offset = 2;
    CHECK_INT(store_customer_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.n, 1);
    CHECK_INT(page.items[0].id, ada);
    db_close();
}

/* ---- conversations and messages -------------------------------------------------------------- */

TEST(message_updates_conversation)
{
    CHECK(db_open());
    struct err e = {0};
    int64_t cust = mk_customer("Ada", "+14155550101", NULL);
    char id[UUID_STR_LEN + 1];
    CHECK(mk_conv("sms", cust, T0, NULL, id));
    struct conversation c;
    CHECK_INT(store_conv_get(G.s, id, G.a, &c, &e), 0);
    CHECK_STR(c.status, "active");
    CHECK_STR(c.channel, "sms");
    CHECK_INT(c.customer_id, cust);
    CHECK_STR(c.customer_name, "Ada");
    CHECK_STR(c.customer_phone, "+14155550101");
    CHECK_INT(c.initiated_at, T0);
    CHECK_INT(c.last_activity_at, T0);
    CHECK_INT(c.message_count, 0);
    CHECK(c.last_message_preview == NULL);
    CHECK(c.completed_at == 0);
    CHECK(c.satisfaction_score == 0);

    CHECK(mk_msg(id, "sms", "Hello there", T0 + 2 * MIN));
    CHECK_INT(store_conv_get(G.s, id, G.a, &c, &e), 0);
    CHECK_INT(c.message_count, 1);
    CHECK_INT(c.last_activity_at, T0 + 2 * MIN);
    CHECK_STR(c.last_message_preview, "Hello there");

    /* A message older than the last activity counts but moves neither the time nor the preview. */
    CHECK(mk_msg(id, "sms", "late arrival", T0 + 1 * MIN));
    CHECK_INT(store_conv_get(G.s, id, G.a, &c, &e), 0);
    CHECK_INT(c.message_count, 2);
    CHECK_INT(c.last_activity_at, T0 + 2 * MIN);
    CHECK_STR(c.last_message_preview, "Hello there");

    /* A long message: the preview is cut on a UTF-8 boundary and ends with an ellipsis. */
    char longmsg[400];
    size_t n = 0;
    while (n + 2 < 300) {
        memcpy(longmsg + n, "\xC3\xA9", 2); /* é, two bytes */
        n += 2;
    }
    longmsg[n] = '\0';
    CHECK(mk_msg(id, "sms", longmsg, T0 + 3 * MIN));
    CHECK_INT(store_conv_get(G.s, id, G.a, &c, &e), 0);
    CHECK_INT(c.message_count, 3);
    CHECK_INT(c.last_activity_at, T0 + 3 * MIN);
    size_t pl = strlen(c.last_message_preview);
    CHECK(pl <= 120 + 3);
    CHECK(strcmp(c.last_message_preview + pl - 3, "\xE2\x80\xA6") == 0);
    CHECK(strncmp(c.last_message_preview, longmsg, pl - 3) == 0);
    CHECK((pl - 3) % 2 == 0); /* no half character */

    /* The customer's counters follow. */
    struct customer cu;
    CHECK_INT(store_customer_get(G.s, cust, G.a, &cu, &e), 0);
    CHECK_INT(cu.conversation_count, 1);
    CHECK_INT(cu.last_contact_at, T0 + 3 * MIN);

    /* Unknown ids. */
    CHECK_INT(store_conv_get(G.s, "0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091", G.a, &c, &e),
              ERR_NOTFOUND);
    struct conv_update u = {.status = "completed"};
    CHECK_INT(store_conv_update(G.s, "0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091", &u, &e),
              ERR_NOTFOUND);
    /* The domain refuses a bad channel or direction before writing. */
    struct conversation bad;
    CHECK_INT(dom_conv_open(G.s, "fax", cust, T0, NULL, NULL, G.a, &bad, &e), ERR_INVALID);
    CHECK_STR(e.field, "channel");
    struct message m = {0};
    memcpy(m.conversation_id, id, sizeof m.conversation_id);
    m.channel = "sms";
    m.direction = "sideways";
    m.content = "x";
    CHECK_INT(dom_msg_append(G.s, &m, G.a, &e), ERR_INVALID);
    CHECK_STR(e.field, "direction");
    CHECK_INT(store_conv_get(G.s, id, G.a, &c, &e), 0);
    CHECK_INT(c.message_count, 3);
    db_close();
}

TEST(active_for_customer)
{
    CHECK(db_open());
    struct err e = {0};
    int64_t cust = mk_customer("Ada", "+14155550101", NULL);
    char a1[UUID_STR_LEN + 1], a2[UUID_STR_LEN + 1], v1[UUID_STR_LEN + 1];
    CHECK(mk_conv("sms", cust, T0, NULL, a1));
    CHECK(mk_conv("sms", cust, T0 + MIN, NULL, a2));
    CHECK(mk_conv("voice", cust, T0 + 2 * MIN, NULL, v1));
    char id[UUID_STR_LEN + 1];
    int64_t last = 0;
    CHECK_INT(store_conv_active_thread(G.s, cust, "sms", id, &last, &e), 0);
    CHECK_STR(id, a2); /* the latest */
    CHECK_INT(last, T0 + MIN);
    CHECK(mk_msg(a1, "sms", "bump", T0 + 5 * MIN));
    CHECK_INT(store_conv_active_thread(G.s, cust, "sms", id, &last, &e), 0);
    CHECK_STR(id, a1); /* by last activity */
    CHECK_INT(last, T0 + 5 * MIN);
    CHECK(set_status(a1, "completed"));
    CHECK(set_status(a2, "failed"));
    CHECK_INT(store_conv_active_thread(G.s, cust, "sms", id, &last, &e), ERR_NOTFOUND);
    CHECK_INT(store_conv_active_thread(G.s, cust, "voice", id, &last, &e), 0);
    CHECK_STR(id, v1);
    CHECK_INT(store_conv_active_thread(G.s, cust, "email", id, &last, &e), ERR_NOTFOUND);
    db_close();
}

/* ---- listing ------------------------------------------------------------------------------- */

struct fx_conv {
    const char *channel, *status;
    int customer; /* 0 none, 1 A, 2 B */
    char id[UUID_STR_LEN + 1];
};

static struct fx_conv fx[] = {
    {"voice", "active", 1, ""},  {"sms", "active", 1, ""},      {"email", "completed", 2, ""},
    {"sms", "completed", 2, ""}, {"voice", "failed", 1, ""},    {"email", "active", 0, ""},
    {"sms", "failed", 2, ""},    {"voice", "completed", 2, ""}, {"email", "completed", 1, ""},
    {"sms", "active", 2, ""},    {"voice", "active", 0, ""},    {"email", "failed", 1, ""},
    {"sms", "completed", 1, ""},
};
static int64_t fx_cust[3];

/* Twelve-odd conversations, i-th one active at T0 + i minutes. */
static bool fx_load(void)
{
    fx_cust[1] = mk_customer("Ada Lovelace", "+14155550101", NULL);
    fx_cust[2] = mk_customer("Grace Hopper", NULL, "grace@example.com");
    if (!fx_cust[1] || !fx_cust[2])
        return false;
    for (size_t i = 0; i < COUNT(fx); i++) {
        if (!mk_conv(fx[i].channel, fx_cust[fx[i].customer], T0 + (int64_t)i * MIN, NULL,
                     fx[i].id))
            return false;
        if (strcmp(fx[i].status, "active") != 0 && !set_status(fx[i].id, fx[i].status))
            return false;
    }
    return true;
}

static bool fx_matches(const struct fx_conv *c, const struct conv_filter *f)
{
    return (!f->channel || strcmp(f->channel, c->channel) == 0) &&
           (!f->status || strcmp(f->status, c->status) == 0) &&
           (!f->customer_id || f->customer_id == fx_cust[c->customer]);
}

TEST(conv_list_filters_and_totals)
{
    CHECK(db_open());
    CHECK(fx_load());
    static const char *const channels[] = {NULL, "voice", "sms", "email"};
    static const char *const statuses[] = {NULL, "active", "completed", "failed"};
    int bad = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            /* Status changes move the kept counts. */
            CHECK(set_status(fx[0].id, "completed"));
            fx[0].status = "completed";
            CHECK(set_status(fx[3].id, "active"));
            fx[3].status = "active";
            CHECK(set_status(fx[6].id, "completed"));
            fx[6].status = "completed";
            CHECK(set_status(fx[6].id, "completed")); /* no change: no double count */
        }
        for (size_t ci = 0; ci < COUNT(channels); ci++) {
            for (size_t si = 0; si < COUNT(statuses); si++) {
                for (int cu = 0; cu < 3; cu++) {
                    struct conv_filter f = {.channel = channels[ci], .status = statuses[si],
                                            .customer_id = fx_cust[cu], .limit = 100,
                                            .want_total = true};
                    struct conv_page page;
                    struct err e = {0};
                    CHECK_INT(store_conv_list(G.s, &f, G.a, &page, &e), 0);
                    /* expected: matching fixtures, newest activity first */
                    int want = 0;
                    bool order_ok = true;
                    for (int i = (int)COUNT(fx) - 1; i >= 0; i--) {
                        if (!fx_matches(&fx[i], &f))
                            continue;
                        if (want >= page.n || strcmp(page.items[want].id, fx[i].id) != 0)
                            order_ok = false;
                        want++;
                    }
                    if (page.n != want || !order_ok || page.total != want || page.has_more) {
                        fprintf(stderr, "  pass %d %s/%s/customer %d: n %d total %lld want %d%s\n",
                                pass, channels[ci] ? channels[ci] : "*",
                                statuses[si] ? statuses[si] : "*", cu, page.n,
                                (long long)page.total, want, order_ok ? "" : " (order)");
                        bad++;
                    }
                    for (int k = 0; k < page.n; k++)
                        if ((f.channel && strcmp(page.items[k].channel, f.channel) != 0) ||
                            (f.status && strcmp(page.items[k].status, f.status) != 0))
                            bad++;
                }
            }
        }
    }
    CHECK_INT(bad, 0);
    int64_t n = 0;
    struct err e = {0};
    CHECK_INT(store_count_conversations(G.s, &n, &e), 0);
    CHECK_INT(n, COUNT(fx));
    /* Joined customer fields on list rows. */
    struct conv_filter f = {.customer_id = fx_cust[2], .limit = 1};
    struct conv_page page;
    CHECK_INT(store_conv_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.n, 1);
    CHECK(page.has_more);
    CHECK_STR(page.items[0].customer_name, "Grace Hopper");
    CHECK_STR(page.items[0].customer_email, "grace@example.com");
    db_close();
}

/* Collects the ids of every page of f; cursor = keyset paging, else offset paging. */
static int walk(struct conv_filter f, bool cursor, char ids[][UUID_STR_LEN + 1], int max)
{
    int n = 0;
    f.has_cursor = false;
    f.offset = 0;
    for (int guard = 0; guard < 200; guard++) {
        struct conv_page page;
        struct err e = {0};
        if (store_conv_list(G.s, &f, G.a, &page, &e) < 0) {
            fprintf(stderr, "  list: %s\n", e.msg);
            return -1;
        }
        for (int k = 0; k < page.n && n < max; k++)
            memcpy(ids[n++], page.items[k].id, UUID_STR_LEN + 1);
        if (!page.has_more)
            return page.n <= f.limit ? n : -1;
        if (page.n != f.limit)
            return -1; /* has_more on a short page */
        if (cursor) {
            const struct conversation *last = &page.items[page.n - 1];
            f.has_cursor = true;
            f.cursor_key = store_conv_sort_key(last, f.sort);
            memcpy(f.cursor_id, last->id, sizeof f.cursor_id);
        } else {
            f.offset += page.n;
        }
    }
    return -1;
}

TEST(keyset_cursor_equals_offset_paging)
{
    CHECK(db_open());
    int64_t cust = mk_customer("Ada", "+14155550101", NULL);
    enum { N = 23 };
    for (int i = 0; i < N; i++) {
        char id[UUID_STR_LEN + 1];
        /* groups of three share their times, so the id breaks the ties */
        CHECK(mk_conv(i % 4 == 0 ? "voice" : "sms", i % 2 ? cust : 0,
                      T0 + (int64_t)(i / 3) * MIN, NULL, id));
        if (i % 5 == 0)
            CHECK(mk_msg(id, i % 4 == 0 ? "voice" : "sms", "m", T0 + (int64_t)(N - i) * MIN));
        if (i % 3)
            CHECK(set_score(id, 1 + (i % 4) * 3)); /* scores 1, 4, 7, 10 with ties; others none */
    }
    static const enum conv_sort sorts[] = {CONV_SORT_LAST_ACTIVITY, CONV_SORT_INITIATED,
                                           CONV_SORT_SCORE};
    static const int limits[] = {1, 4, 7, 23};
    static char full[N + 1][UUID_STR_LEN + 1], by_off[N + 1][UUID_STR_LEN + 1],
        by_cur[N + 1][UUID_STR_LEN + 1];
    for (size_t si = 0; si < COUNT(sorts); si++) {
        for (int asc = 0; asc < 2; asc++) {
            for (int fi = 0; fi < 5; fi++) {
                struct conv_filter f = {.sort = sorts[si], .asc = asc, .limit = 100};
                if (fi == 1)
                    f.channel = "sms";
                if (fi == 2)
                    f.customer_id = cust;
                if (fi == 3)
                    f.status = "active";
                if (fi == 4)
                    f.messaging_only = true;
                int n_full = walk(f, false, full, N + 1);
                CHECK(n_full > 0);
                if (fi == 0)
                    CHECK_INT(n_full, N);
                for (size_t li = 0; li < COUNT(limits); li++) {
                    f.limit = limits[li];
                    int n_off = walk(f, false, by_off, N + 1);
                    int n_cur = walk(f, true, by_cur, N + 1);
                    if (n_off != n_full || n_cur != n_full)
                        fprintf(stderr, "  sort %d asc %d filter %d limit %d: %d/%d/%d rows\n",
                                (int)sorts[si], asc, fi, limits[li], n_full, n_off, n_cur);
                    CHECK_INT(n_off, n_full);
                    CHECK_INT(n_cur, n_full);
                    for (int k = 0; k < n_full; k++) {
                        if (strcmp(by_off[k], full[k]) || strcmp(by_cur[k], full[k]))
                            fprintf(stderr, "  sort %d asc %d filter %d limit %d: row %d\n",
                                    (int)sorts[si], asc, fi, limits[li], k);
                        CHECK_STR(by_off[k], full[k]);
                        CHECK_STR(by_cur[k], full[k]);
                    }
                }
            }
        }
    }
    db_close();
}

/* The full list is in sort order with ids breaking ties, in both directions. */
TEST(list_sort_order)
{
    CHECK(db_open());
    struct err e = {0};
    for (int i = 0; i < 12; i++) {
        char id[UUID_STR_LEN + 1];
        CHECK(mk_conv("sms", 0, T0 + (int64_t)(i % 5) * MIN, NULL, id));
        if (i % 2)
            CHECK(set_score(id, 10 - i % 7));
    }
    static const enum conv_sort sorts[] = {CONV_SORT_LAST_ACTIVITY, CONV_SORT_INITIATED,
                                           CONV_SORT_SCORE};
    for (size_t si = 0; si < COUNT(sorts); si++) {
        for (int asc = 0; asc < 2; asc++) {
            struct conv_filter f = {.sort = sorts[si], .asc = asc, .limit = 100};
            struct conv_page page;
            CHECK_INT(store_conv_list(G.s, &f, G.a, &page, &e), 0);
            CHECK_INT(page.n, 12);
            for (int k = 1; k < page.n; k++) {
                int64_t a = store_conv_sort_key(&page.items[k - 1], f.sort);
                int64_t b = store_conv_sort_key(&page.items[k], f.sort);
                int idc = strcmp(page.items[k - 1].id, page.items[k].id);
                bool ordered =
                    asc ? (a < b || (a == b && idc < 0)) : (a > b || (a == b && idc > 0));
                CHECK(ordered);
            }
        }
    }
    db_close();
}

TEST(full_text_search)
{
    CHECK(db_open());
    struct err e = {0};
    int64_t ada = mk_customer("Ada Lovelace", "+14155550101", NULL);
    int64_t zelda = mk_customer("Zelda Fitzgerald", NULL, "zelda@example.com");
    char x[UUID_STR_LEN + 1], y[UUID_STR_LEN + 1], z[UUID_STR_LEN + 1], w[UUID_STR_LEN + 1];
    CHECK(mk_conv("sms", ada, T0, NULL, x));
    CHECK(mk_msg(x, "sms", "Can I reschedule my appointment for Thursday?", T0 + MIN));
    CHECK(mk_conv("email", zelda, T0 + 2 * MIN, NULL, y));
    CHECK(mk_msg(y, "email", "hello", T0 + 3 * MIN));
    CHECK(mk_conv("voice", 0, T0 + 4 * MIN, "Billing question about invoice 1234", z));
    CHECK(mk_conv("sms", 0, T0 + 5 * MIN, NULL, w));
    CHECK(mk_msg(w, "sms", "Caf\xC3\xA9 cr\xC3\xA8me tomorrow? Don't wait", T0 + 6 * MIN));
    const struct {
        const char *q, *channel;
        const char *want[3]; /* expected ids, newest first */
    } v[] = {
        {"thursday", NULL, {x}},
        {"THURS", NULL, {x}},         /* prefix, any case */
        {"reschedule thursday", NULL, {x}},
        {"  appointment!!! ", NULL, {x}},
        {"zelda", NULL, {y}},          /* customer name */
        {"fitz", NULL, {y}},
        {"invoice", NULL, {z}},        /* subject */
        {"1234", NULL, {z}},
        {"cafe", NULL, {w}},           /* diacritics removed */
        {"cr\xC3\xA8me", NULL, {w}},
        {"nomatch", NULL, {NULL}},
        {"!!!", NULL, {NULL}},         /* no word at all */
        {"\"", NULL, {NULL}},
        {"don\xE2\x80\x99t", NULL, {w}}, /* split where the tokenizer splits: a typographic */
        {"\xE2\x80\x9C" "wait\xE2\x80\x9D\xE2\x80\xA6", NULL, {w}}, /* apostrophe, quotes */
        {"caf\xC3\xA9\xC2\xBF" "cr\xC3\xA8me", NULL, {w}},
        {"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j", NULL, {NULL}},
        {"thursday", "email", {NULL}}, /* combined with a filter */
        {"thursday", "sms", {x}},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        struct conv_filter f = {.q = v[i].q, .channel = v[i].channel, .limit = 10,
                                .want_total = true};
        struct conv_page page;
        int rc = store_conv_list(G.s, &f, G.a, &page, &e);
        int want = 0;
        while (want < 3 && v[i].want[want])
            want++;
        bool ok = rc == 0 && page.n == want && page.total == want;
        for (int k = 0; ok && k < want; k++)
            ok = strcmp(page.items[k].id, v[i].want[k]) == 0;
        if (!ok)
            fprintf(stderr, "  q \"%s\": rc %d n %d total %lld, want %d (%s)\n", v[i].q, rc,
                    page.n, (long long)page.total, want, e.msg);
        CHECK(ok);
    }
    db_close();
}

/* ---- timeline and detail ------------------------------------------------------------------- */

TEST(timeline_order_and_stats)
{
    CHECK(db_open());
    struct err e = {0};
    int64_t d = mk_customer("Dana", "+14155550104", NULL);
    int64_t other = mk_customer("Other", "+14155550105", NULL);
    char voice[UUID_STR_LEN + 1], sms[UUID_STR_LEN + 1], email[UUID_STR_LEN + 1],
        x[UUID_STR_LEN + 1];
    CHECK(mk_conv("voice", d, T0, NULL, voice));
    CHECK(mk_msg(voice, "voice", "hi", T0 + 5 * MIN));
    CHECK(mk_conv("sms", d, T0 + 60 * MIN, NULL, sms));
    CHECK(mk_conv("email", d, T0 + 120 * MIN, NULL, email));
    CHECK(mk_conv("sms", other, T0 + 500 * MIN, NULL, x));

    struct conv_page page;
    CHECK_INT(store_timeline(G.s, d, 2, false, 0, NULL, G.a, &page, &e), 0);
    CHECK_INT(page.n, 2);
    CHECK(page.has_more);
    CHECK_STR(page.items[0].id, email);
    CHECK_STR(page.items[1].id, sms);
    const struct conversation *last = &page.items[1];
    struct conv_page page2;
    CHECK_INT(store_timeline(G.s, d, 2, true, last->last_activity_at, last->id, G.a, &page2, &e),
              0);
    CHECK_INT(page2.n, 1);
    CHECK(!page2.has_more);
    CHECK_STR(page2.items[0].id, voice);
    /* A message moves a conversation to the top. */
    CHECK(mk_msg(voice, "voice", "again", T0 + 200 * MIN));
    CHECK_INT(store_timeline(G.s, d, 10, false, 0, NULL, G.a, &page, &e), 0);
    CHECK_INT(page.n, 3);
    CHECK_STR(page.items[0].id, voice);

    struct timeline_stats st;
    CHECK_INT(store_timeline_stats(G.s, d, &st, &e), 0);
    CHECK_INT(st.total, 3);
    CHECK_INT(st.voice, 1);
    CHECK_INT(st.sms, 1);
    CHECK_INT(st.email, 1);
    CHECK(st.avg_score < 0); /* none scored */
    CHECK_INT(st.first_contact_at, T0);
    CHECK_INT(st.last_contact_at, T0 + 200 * MIN);
    CHECK(set_score(sms, 4));
    CHECK(set_score(email, 8));
    CHECK_INT(store_timeline_stats(G.s, d, &st, &e), 0);
    CHECK(st.avg_score > 5.999 && st.avg_score < 6.001);

    /* A customer without conversations. */
    int64_t none = mk_customer("Nobody", "+14155550106", NULL);
    CHECK_INT(store_timeline_stats(G.s, none, &st, &e), 0);
    CHECK_INT(st.total, 0);
    CHECK(st.avg_score < 0);
    CHECK_INT(st.first_contact_at, 0);
    CHECK_INT(st.last_contact_at, 0);
    CHECK_INT(store_timeline(G.s, none, 10, false, 0, NULL, G.a, &page, &e), 0);
    CHECK_INT(page.n, 0);
    CHECK(!page.has_more);
    db_close();
}

TEST(detail_messages_and_events)
{
    CHECK(db_open());
    struct err e = {0};
    int64_t cust = mk_customer("Ada", "+14155550101", "ada@example.com");
    char sms[UUID_STR_LEN + 1], voice[UUID_STR_LEN + 1], email[UUID_STR_LEN + 1];
    CHECK(mk_conv("sms", cust, T0, NULL, sms));
    CHECK(mk_conv("voice", cust, T0, NULL, voice));
    CHECK(mk_conv("email", cust, T0, "Your booking", email));

    /* Two SMS, stored newest first. */
    static const char *const sids[] = {"SM_second", "SM_first"};
    static const char *const bodies[] = {"second", "first"};
    for (int i = 0; i < 2; i++) {
        struct msg_sms d = {.from_number = "+14155550101", .to_number = "+18005550199",
                            .provider_message_id = sids[i], .delivery_status = "received",
                            .segments = 2, .media_urls = "[\"https://m.example/1.jpg\"]"};
        struct message m = {0};
        memcpy(m.conversation_id, sms, sizeof m.conversation_id);
        m.channel = "sms";
        m.direction = "inbound";
        m.content = bodies[i];
        m.sent_at = T0 + (2 - i) * MIN;
        m.sms = &d;
        CHECK_INT(dom_msg_append(G.s, &m, G.a, &e), 0);
    }
    struct msg_voice vd = {.duration_seconds = 12.5, .recording_url = "https://r.example/1",
                           .function_calls = "[{\"name\":\"book\",\"result\":{\"ok\":true}}]",
                           .interruption_count = 2, .audio_quality_score = -1};
    struct message vm = {0};
    memcpy(vm.conversation_id, voice, sizeof vm.conversation_id);
    vm.channel = "voice";
    vm.direction = "outbound";
    vm.content = "transcript";
    vm.sent_at = T0 + MIN;
    vm.voice = &vd;
    CHECK_INT(dom_msg_append(G.s, &vm, G.a, &e), 0);
    struct msg_email ed = {.subject = "Your booking", .from_address = "ada@example.com",
                           .to_address = "desk@clinic.example", .body_text = "See you",
                           .provider_message_id = "<abc@example.com>"};
    struct message em = {0};
    memcpy(em.conversation_id, email, sizeof em.conversation_id);
    em.channel = "email";
    em.direction = "inbound";
    em.content = "See you";
    em.sent_at = T0 + MIN;
    em.email = &ed;
    CHECK_INT(dom_msg_append(G.s, &em, G.a, &e), 0);

    /* Events recorded out of order. */
    CHECK_INT(dom_event_record(G.s, sms, "sms.help", "{\"n\":3}", NULL, T0 + 30 * MIN, &e), 0);
    CHECK_INT(dom_event_record(G.s, sms, "sms.opt_out", NULL, NULL, T0 + 10 * MIN, &e), 0);
    CHECK_INT(dom_event_record(G.s, sms, "note.added", NULL, NULL, T0 + 20 * MIN, &e), 0);
    CHECK_INT(dom_event_record(G.s, sms, "Bad-Type", NULL, NULL, T0, &e), ERR_INVALID);
    CHECK_STR(e.field, "event_type");

    struct detail d;
    CHECK_INT(store_conv_detail(G.s, sms, G.a, &d, &e), 0);
    CHECK_STR(d.conv.id, sms);
    CHECK_INT(d.conv.message_count, 2);
    CHECK_INT(d.n_msgs, 2);
    CHECK_STR(d.msgs[0].content, "first");
    CHECK_STR(d.msgs[1].content, "second");
    for (int i = 0; i < 2; i++) {
        const struct message *m = &d.msgs[i];
        CHECK_STR(m->conversation_id, sms);
        CHECK_STR(m->channel, "sms");
        CHECK_STR(m->direction, "inbound");
        CHECK(uuid_is_valid(m->id));
        CHECK(m->sms != NULL && m->voice == NULL && m->email == NULL);
        CHECK_STR(m->sms->from_number, "+14155550101");
        CHECK_STR(m->sms->to_number, "+18005550199");
        CHECK_STR(m->sms->provider_message_id, i == 0 ? "SM_first" : "SM_second");
        CHECK_STR(m->sms->delivery_status, "received");
        CHECK_INT(m->sms->segments, 2);
        CHECK_STR(m->sms->media_urls, "[\"https://m.example/1.jpg\"]");
    }
    CHECK_INT(d.n_events, 3);
    CHECK_STR(d.events[0].event_type, "sms.opt_out");
    CHECK_STR(d.events[1].event_type, "note.added");
    CHECK_STR(d.events[2].event_type, "sms.help");
    CHECK_INT(d.events[0].timestamp, T0 + 10 * MIN);
    CHECK_STR(d.events[2].details, "{\"n\":3}");
    CHECK(d.events[0].details == NULL);

    CHECK_INT(store_conv_detail(G.s, voice, G.a, &d, &e), 0);
    CHECK_INT(d.n_msgs, 1);
    CHECK(d.msgs[0].voice != NULL && d.msgs[0].sms == NULL);
    CHECK(d.msgs[0].voice->duration_seconds == 12.5);
    CHECK_STR(d.msgs[0].voice->recording_url, "https://r.example/1");
    CHECK_STR(d.msgs[0].voice->function_calls, "[{\"name\":\"book\",\"result\":{\"ok\":true}}]");
    CHECK_STR(d.msgs[0].voice->transcript_segments, "[]"); /* defaulted */
    CHECK_INT(d.msgs[0].voice->interruption_count, 2);
    CHECK(d.msgs[0].voice->audio_quality_score < 0);       /* NULL */
    CHECK_STR(d.msgs[0].direction, "outbound");
    CHECK_INT(d.n_events, 0);

    CHECK_INT(store_conv_detail(G.s, email, G.a, &d, &e), 0);
    CHECK_STR(d.conv.subject, "Your booking");
    CHECK_INT(d.n_msgs, 1);
    CHECK(d.msgs[0].email != NULL && d.msgs[0].voice == NULL);
    CHECK_STR(d.msgs[0].email->subject, "Your booking");
    CHECK_STR(d.msgs[0].email->to_address, "desk@clinic.example");
    CHECK_STR(d.msgs[0].email->body_text, "See you");
    CHECK_STR(d.msgs[0].email->cc_addresses, "[]");
    CHECK_STR(d.msgs[0].email->provider_message_id, "<abc@example.com>");

    /* store_msgs_for is the same list, in time order. */
    struct message *msgs;
    int n;
    CHECK_INT(store_msgs_for(G.s, sms, G.a, &msgs, &n, &e), 0);
    CHECK_INT(n, 2);
    CHECK_STR(msgs[0].content, "first");
    CHECK_INT(store_conv_detail(G.s, "0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091", G.a, &d, &e),
              ERR_NOTFOUND);
    db_close();
}

/* ---- SMS ------------------------------------------------------------------------------------ */

static int add_sms(const char *conv, const char *sid, int64_t at, char id[UUID_STR_LEN + 1],
                   struct err *e)
{
    struct msg_sms d = {.from_number = "+14155550101", .to_number = "+18005550199",
                        .provider_message_id = sid, .delivery_status = "received"};
    struct message m = {0};
    memcpy(m.conversation_id, conv, sizeof m.conversation_id);
    m.channel = "sms";
    m.direction = "inbound";
    m.content = "hi";
    m.sent_at = at;
    m.sms = &d;
    int rc = dom_msg_append(G.s, &m, G.a, e);
    if (id)
        memcpy(id, m.id, sizeof m.id);
    return rc;
}

TEST(sms_find_by_provider_id)
{
    CHECK(db_open());
    struct err e = {0};
    char conv[UUID_STR_LEN + 1], mid[UUID_STR_LEN + 1];
    CHECK(mk_conv("sms", 0, T0, NULL, conv));
    CHECK_INT(add_sms(conv, "SM0a0b0c0d0e0f10111213141516171819", T0 + MIN, mid, &e), 0);
    char got_msg[UUID_STR_LEN + 1], got_conv[UUID_STR_LEN + 1];
    CHECK_INT(store_sms_find(G.s, "SM0a0b0c0d0e0f10111213141516171819", got_msg, got_conv, &e),
              0);
    CHECK_STR(got_msg, mid);
    CHECK_STR(got_conv, conv);
    CHECK_INT(store_sms_find(G.s, "SMunknown", got_msg, got_conv, &e), ERR_NOTFOUND);
    CHECK_INT(store_sms_find(G.s, "sm0a0b0c0d0e0f10111213141516171819", got_msg, got_conv, &e),
              ERR_NOTFOUND); /* exact match */

    /* The provider id is unique; in a transaction the duplicate leaves nothing behind. */
    CHECK_INT(store_begin(G.s, true, &e), 0);
    int rc = add_sms(conv, "SM0a0b0c0d0e0f10111213141516171819", T0 + 2 * MIN, NULL, &e);
    store_rollback(G.s);
    CHECK_INT(rc, ERR_CONFLICT);
    struct conversation c;
    CHECK_INT(store_conv_get(G.s, conv, G.a, &c, &e), 0);
    CHECK_INT(c.message_count, 1);
    struct message *msgs;
    int n;
    CHECK_INT(store_msgs_for(G.s, conv, G.a, &msgs, &n, &e), 0);
    CHECK_INT(n, 1);
    db_close();
}

TEST(optout_ledger_out_of_order)
{
    CHECK(db_open());
    struct err e = {0};
    const char *ph = "+14155550101";
    bool out = true;
    CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
    CHECK(!out); /* unknown numbers are not opted out */
    static const struct {
        bool opt_out;
        const char *kw;
        int64_t at;
        bool want; /* state after the call */
    } steps[] = {
        {true, "STOP", T0 + 100, true},
        {false, "START", T0 + 50, true},   /* older: ignored */
        {false, "START", T0 + 200, false},
        {true, "STOP", T0 + 150, false},   /* older: ignored */
        {true, "stop", T0 + 200, true},    /* same instant: the later write wins */
        {false, "UNSTOP", T0 + 199, true}, /* older: ignored */
        {false, "YES", T0 + 10 * MIN, false},
    };
    for (size_t i = 0; i < COUNT(steps); i++) {
        CHECK_INT(store_optout_set(G.s, ph, steps[i].opt_out, steps[i].kw, steps[i].at, NULL, &e),
                  0);
        CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
        if (out != steps[i].want)
            fprintf(stderr, "  step %zu (%s at +%lld): %d\n", i, steps[i].kw,
                    (long long)(steps[i].at - T0), out);
        CHECK(out == steps[i].want);
    }
    /* Numbers are independent. */
    CHECK_INT(store_optout_set(G.s, "+14155550102", true, "STOP", T0, NULL, &e), 0);
    CHECK_INT(store_optout_get(G.s, "+14155550102", &out, &e), 0);
    CHECK(out);
    CHECK_INT(store_optout_get(G.s, ph, &out, &e), 0);
    CHECK(!out);
    db_close();
}

/* ---- tokens --------------------------------------------------------------------------------- */

TEST(api_tokens)
{
    CHECK(db_open());
    struct err e = {0};
    char hash[65];
    sha256_hex("sb_secret", 9, hash);
    int64_t id = 0;
    CHECK_INT(store_token_insert(G.s, "ci", "staff", hash, &id, &e), 0);
    CHECK(id > 0);
    char role[16], name[64];
    int64_t got = 0;
    CHECK_INT(store_token_lookup(G.s, hash, role, &got, name, &e), 0);
    CHECK_STR(role, "staff");
    CHECK_STR(name, "ci");
    CHECK_INT(got, id);
    char other[65];
    sha256_hex("sb_other", 8, other);
    CHECK_INT(store_token_lookup(G.s, other, role, &got, name, &e), ERR_NOTFOUND);
    CHECK_INT(store_token_insert(G.s, "again", "admin", hash, &id, &e), ERR_CONFLICT);
    CHECK(store_token_insert(G.s, "bad", "root", other, &id, &e) < 0); /* role is checked */

    /* The domain's create/check pair: the secret is shown once, only its hash is stored. */
    char secret[64];
    CHECK_INT(dom_token_create(G.s, "dashboard", "viewer", secret, &e), 0);
    CHECK(strncmp(secret, "sb_", 3) == 0);
    CHECK_INT(strlen(secret), 3 + 43);
    CHECK_INT(dom_token_check(G.s, secret, role, &got, name, &e), 0);
    CHECK_STR(role, "viewer");
    CHECK_STR(name, "dashboard");
    secret[10] ^= 1;
    CHECK_INT(dom_token_check(G.s, secret, role, &got, name, &e), ERR_NOTFOUND);
    CHECK_INT(dom_token_check(G.s, "short", role, &got, name, &e), ERR_NOTFOUND);
    CHECK_INT(dom_token_create(G.s, "x", "superuser", secret, &e), ERR_INVALID);
    CHECK_STR(e.field, "role");
    CHECK_INT(dom_token_create(G.s, "", "admin", secret, &e), ERR_INVALID);
    CHECK_STR(e.field, "name");
    db_close();
}

/* ---- transactions --------------------------------------------------------------------------- */

/* Writes a customer, a conversation and a message; fails at the end when ctx says so. */
static int write_all(struct store *s, void *ctx, struct err *e)
{
    int fail = *(int *)ctx;
    struct customer c = {.name = "Tx", .phone = "+14155550109"};
    int rc = store_customer_insert(s, &c, e);
    char conv[UUID_STR_LEN + 1];
    if (rc == 0 && !mk_conv("sms", c.id, T0, "tx subject", conv))
        rc = ERR_BACKEND;
    if (rc == 0 && add_sms(conv, "SMtx", T0 + MIN, NULL, e) < 0)
        rc = ERR_BACKEND;
    if (rc == 0 && fail)
        rc = err_set(e, ERR_INVALID, "test", "failing on purpose");
    return rc;
}

/* True when nothing write_all writes is in the database. */
static bool nothing_written(void)
{
    struct err e = {0};
    struct customer c;
    int64_t n = -1;
    char m[UUID_STR_LEN + 1], cv[UUID_STR_LEN + 1];
    struct conv_filter f = {.q = "subject", .limit = 10, .want_total = true};
    struct conv_page page;
    return store_customer_by_phone(G.s, "+14155550109", G.a, &c, &e) == ERR_NOTFOUND &&
           store_count_conversations(G.s, &n, &e) == 0 && n == 0 &&
           store_sms_find(G.s, "SMtx", m, cv, &e) == ERR_NOTFOUND &&
           store_conv_list(G.s, &f, G.a, &page, &e) == 0 && page.n == 0 && page.total == 0;
}

TEST(transaction_rollback_leaves_nothing)
{
    CHECK(db_open());
    struct err e = {0};
    int fail = 0;
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK_INT(write_all(G.s, &fail, &e), 0);
    store_rollback(G.s);
    CHECK(nothing_written());

    /* Nested: the inner commit does not commit the outer transaction. */
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK_INT(write_all(G.s, &fail, &e), 0);
    CHECK_INT(store_commit(G.s, &e), 0);
    store_rollback(G.s);
    CHECK(nothing_written());

    /* dom_tx rolls back when the work fails, and returns its error. */
    fail = 1;
    err_clear(&e);
    CHECK_INT(dom_tx(G.s, write_all, &fail, &e), ERR_INVALID);
    CHECK_STR(e.field, "test");
    CHECK(nothing_written());

    /* A commit without a transaction is an error; rollback without one is harmless. */
    CHECK_INT(store_commit(G.s, &e), ERR_BACKEND);
    store_rollback(G.s);

    /* And when it succeeds, everything is there. */
    fail = 0;
    CHECK_INT(dom_tx(G.s, write_all, &fail, &e), 0);
    CHECK(!nothing_written());
    int64_t n = 0;
    CHECK_INT(store_count_conversations(G.s, &n, &e), 0);
    CHECK_INT(n, 1);
    db_close();
}

/* A conversation insert keeps the per-(channel, status) count and queues its subject for search
 * without triggers (migration 010), inside a transaction or alone; the channel and status
 * constraints still refuse what is not in their lists, and a refused row counts nothing. */
TEST(conv_insert_counts_and_constraints)
{
    CHECK(db_open());
    struct err e = {0};
    struct conversation cv = {.channel = "email", .status = "active", .initiated_at = T0,
                              .subject = "Invoice 77 overdue"};
    uuid_v7(T0, cv.id);
    CHECK_INT(store_conv_insert(G.s, &cv, &e), 0); /* autocommit */
    int64_t n = 0;
    CHECK_INT(store_count_conversations(G.s, &n, &e), 0);
    CHECK_INT(n, 1);
    struct conv_filter f = {.channel = "email", .status = "active", .limit = 10,
                            .want_total = true};
    struct conv_page page;
    CHECK_INT(store_conv_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.total, 1);
    f = (struct conv_filter){.q = "overdue", .limit = 10};
    CHECK_INT(store_conv_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.n, 1);

    static const char *const bad[][2] = {{"fax", "active"}, {"voice", "open"}, {"", "active"}};
    for (size_t i = 0; i < COUNT(bad); i++) {
        struct conversation b = {.channel = bad[i][0], .status = bad[i][1], .initiated_at = T0};
        uuid_v7(T0, b.id);
        err_clear(&e);
        CHECK_INT(store_conv_insert(G.s, &b, &e), ERR_INVALID);
        CHECK_INT(store_begin(G.s, true, &e), 0);
        CHECK_INT(store_conv_insert(G.s, &b, &e), ERR_INVALID);
        store_rollback(G.s);
    }
    CHECK_INT(store_count_conversations(G.s, &n, &e), 0);
    CHECK_INT(n, 1);

    /* the kept count is added at the outermost commit: a rolled-back savepoint's inserts are not
     * counted, a released one's are, and a rolled-back transaction counts nothing */
    struct conversation v = {.channel = "voice", .status = "completed", .initiated_at = T0};
    f = (struct conv_filter){.channel = "voice", .status = "completed", .limit = 1,
                             .want_total = true};
    CHECK_INT(store_begin(G.s, true, &e), 0);
    uuid_v7(T0, v.id);
    CHECK_INT(store_conv_insert(G.s, &v, &e), 0);
    CHECK_INT(store_begin(G.s, true, &e), 0);
    uuid_v7(T0, v.id);
    CHECK_INT(store_conv_insert(G.s, &v, &e), 0);
    store_rollback(G.s);
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK_INT(store_begin(G.s, true, &e), 0);
    uuid_v7(T0, v.id);
    CHECK_INT(store_conv_insert(G.s, &v, &e), 0);
    CHECK_INT(store_commit(G.s, &e), 0);
    CHECK_INT(store_commit(G.s, &e), 0);
    CHECK_INT(store_commit(G.s, &e), 0);
    CHECK_INT(store_conv_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.total, 2);
    CHECK_INT(store_begin(G.s, true, &e), 0);
    uuid_v7(T0, v.id);
    CHECK_INT(store_conv_insert(G.s, &v, &e), 0);
    store_rollback(G.s);
    CHECK_INT(store_conv_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.total, 2);
    CHECK_INT(store_count_conversations(G.s, &n, &e), 0);
    CHECK_INT(n, 3);
    db_close();
}

/* ---- bulk loads ---------------------------------------------------------------------------- */

static int bulk_steps, first_joined_step;
static void count_step(void *ctx, const char *what, int i, int n, bool joins_ready)
{
    (void)ctx, (void)what, (void)n;
    bulk_steps = i;
    if (joins_ready && !first_joined_step)
        first_joined_step = i;
}

/* The conversations a full-text query finds; -1 on error. */
static int found(const char *q)
{
    struct conv_filter f = {.q = q, .limit = 10, .want_total = true};
    struct conv_page page;
    struct err e = {0};
    return store_conv_list(G.s, &f, G.a, &page, &e) == 0 ? page.n : -1;
}

TEST(bulk_load_sets_indexes_aside_and_rebuilds)
{
    CHECK(db_open());
    struct err e = {0};
    int pending = -1;
    char x[UUID_STR_LEN + 1], y[UUID_STR_LEN + 1];
    CHECK(mk_conv("sms", 0, T0, NULL, x));
    CHECK(mk_msg(x, "sms", "Can I reschedule for Thursday?", T0 + MIN));
    CHECK_INT(store_bulk_pending(G.s, &pending, &e), 0);
    CHECK_INT(pending, 0);

    /* set aside: eleven indexes and the subjects' search index; a second begin (a resumed load)
     * changes nothing */
    CHECK_INT(store_bulk_begin(G.s, &e), 0);
    CHECK_INT(store_bulk_pending(G.s, &pending, &e), 0);
    CHECK_INT(pending, 12);
    CHECK_INT(store_bulk_begin(G.s, &e), 0);
    CHECK_INT(store_bulk_pending(G.s, &pending, &e), 0);
    CHECK_INT(pending, 12);

    /* writes and reads go on (without the indexes); the loading connection's own writes wait
     * for the search index until the load finishes */
    CHECK(mk_conv("voice", 0, T0 + 2 * MIN, "Voucher refund", y));
    CHECK(mk_msg(y, "voice", "A question about invoice 1234", T0 + 3 * MIN));
    struct conv_filter f = {.channel = "voice", .limit = 10, .want_total = true};
    struct conv_page page;
    CHECK_INT(store_conv_list(G.s, &f, G.a, &page, &e), 0);
    CHECK_INT(page.n, 1);
    CHECK_STR(page.items[0].id, y);
    CHECK_INT(found("thursday"), 1);
    CHECK_INT(found("invoice"), 0);
    CHECK_INT(found("voucher"), 0);

    /* the process dies: the database still says what is set aside */
    store_close(G.s);
    G.s = store_open(G.path, &e);
    CHECK(G.s != NULL);
    CHECK_INT(store_bulk_pending(G.s, &pending, &e), 0);
    CHECK_INT(pending, 12);

    /* finishing (here by another connection, as after a kill) rebuilds each index once and
     * indexes for search what the load wrote */
    bulk_steps = 0;
    CHECK_INT(store_bulk_finish(G.s, count_step, NULL, &e), 0);
    CHECK_INT(bulk_steps, 13); /* eleven indexes, the subjects, then the search index */
    CHECK_INT(first_joined_step, 3); /* messages' and events' by conversation come first */
    CHECK_INT(store_bulk_pending(G.s, &pending, &e), 0);
    CHECK_INT(pending, 0);
    CHECK_INT(found("invoice"), 1);
    CHECK_INT(found("thursday"), 1);
    CHECK_INT(found("voucher"), 1);
    bulk_steps = 0;
    CHECK_INT(store_bulk_finish(G.s, count_step, NULL, &e), 0);
    CHECK_INT(bulk_steps, 0);

    /* and a new message is searchable at once */
    CHECK(mk_msg(x, "sms", "Friday works too", T0 + 4 * MIN));
    CHECK_INT(found("friday"), 1);
    db_close();
}

/* The row a legacy scan returns for legacy id 1. */
static int keep_row(void *ctx, const struct legacy_target_row *r)
{
    *(bool *)ctx = r->customer_missing;
    return 0;
}

/* A conversation naming customer `customer`, inserted by the store (no domain checks). */
static int insert_conv(int64_t customer, char id[UUID_STR_LEN + 1])
{
    struct conversation c = {.customer_id = customer, .channel = "voice", .status = "completed",
                             .initiated_at = T0, .last_activity_at = T0};
    uuid_v7(T0, c.id);
    memcpy(id, c.id, UUID_STR_LEN + 1);
    struct err e = {0};
    return store_conv_insert(G.s, &c, &e);
}

TEST(bulk_load_checks_no_keys_and_the_scan_reports_them)
{
    CHECK(db_open());
    struct err e = {0};
    char x[UUID_STR_LEN + 1];
    CHECK(insert_conv(424242, x) < 0); /* keys are checked */
    CHECK_INT(store_bulk_begin(G.s, &e), 0);
    CHECK_INT(insert_conv(424242, x), 0); /* the loader keeps them itself */
    CHECK_INT(store_legacy_map_insert(G.s, 1, "session-1", x, &e), 0);
    bool missing = false;
    CHECK_INT(store_legacy_scan(G.s, 0, 10, keep_row, &missing, &e), 0);
    CHECK(missing); /* and what it referenced but did not write is reported */
    CHECK_INT(store_bulk_finish(G.s, NULL, NULL, &e), 0);
    CHECK(insert_conv(424242, x) < 0); /* checked again once the load is over */
    int64_t c = mk_customer("Ruth Ellis", "+14155550142", NULL);
    CHECK(c > 0);
    CHECK_INT(insert_conv(c, x), 0);
    CHECK_INT(store_legacy_map_insert(G.s, 2, "session-2", x, &e), 0);
    missing = true;
    CHECK_INT(store_legacy_scan(G.s, 1, 10, keep_row, &missing, &e), 0);
    CHECK(!missing);
    db_close();
}

TEST(search_index_follows_commits)
{
    CHECK(db_open());
    struct err e = {0};
    char x[UUID_STR_LEN + 1], y[UUID_STR_LEN + 1];
    /* a rolled-back transaction leaves nothing searchable */
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK(mk_conv("sms", 0, T0, NULL, x));
    CHECK(mk_msg(x, "sms", "alpha", T0 + MIN));
    store_rollback(G.s);
    CHECK_INT(found("alpha"), 0);
    /* a committed one is searchable at once, except what a rolled-back savepoint wrote */
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK(mk_conv("sms", 0, T0 + 2 * MIN, NULL, y));
    CHECK(mk_msg(y, "sms", "bravo", T0 + 3 * MIN));
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK(mk_msg(y, "sms", "charlie", T0 + 4 * MIN));
    store_rollback(G.s);
    CHECK_INT(store_commit(G.s, &e), 0);
    CHECK_INT(found("bravo"), 1);
    CHECK_INT(found("charlie"), 0);
    /* outside a transaction too, and customers by name */
    CHECK(mk_msg(y, "sms", "delta", T0 + 5 * MIN));
    CHECK_INT(found("delta"), 1);
    int64_t q = mk_customer("Quentin Blake", "+14155550199", NULL);
    CHECK(q > 0);
    CHECK(mk_conv("email", q, T0 + 6 * MIN, NULL, x));
    CHECK_INT(found("quentin"), 1);
    /* subjects: a rolled-back conversation's is not found, a committed one's is, and a new
     * subject is found from the commit that sets it */
    char z[UUID_STR_LEN + 1];
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK(mk_conv("email", 0, T0 + 7 * MIN, "Echo lounge booking", z));
    store_rollback(G.s);
    CHECK_INT(found("echo"), 0);
    CHECK_INT(store_begin(G.s, true, &e), 0);
    CHECK(mk_conv("email", 0, T0 + 8 * MIN, "Foxtrot peel question", z));
    CHECK_INT(store_commit(G.s, &e), 0);
    CHECK_INT(found("foxtrot"), 1);
    struct conv_update u = {.subject = "Golf course voucher"};
    CHECK_INT(store_conv_update(G.s, z, &u, &e), 0);
    CHECK_INT(found("golf"), 1);
    db_close();
}

TEST_MAIN(T(migrate_is_idempotent), T(conv_insert_counts_and_constraints), T(open_errors), T(customer_insert_and_get),
          T(customer_unique_conflicts), T(customer_list_search), T(message_updates_conversation),
          T(active_for_customer), T(conv_list_filters_and_totals),
          T(keyset_cursor_equals_offset_paging), T(list_sort_order), T(full_text_search),
          T(timeline_order_and_stats), T(detail_messages_and_events), T(sms_find_by_provider_id),
          T(optout_ledger_out_of_order), T(api_tokens), T(transaction_rollback_leaves_nothing),
          T(bulk_load_sets_indexes_aside_and_rebuilds),
          T(bulk_load_checks_no_keys_and_the_scan_reports_them), T(search_index_follows_commits))
