/*
 * test_dualwrite.c - dual write to the legacy schema, through the domain layer: a finalised
 * voice call lands in the outbox in its own transaction, the drain delivers it in the legacy
 * vocabulary (or keeps it, with the error, when the legacy database is unreachable), the same
 * database case writes atomically, and legacy-verify agrees with what was written.
 */
#include "../../../src/legacy/dualwrite.c"

#include "testlib.h"

#include "core/timeutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

static char dir[64];

static void path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* Creates a SQLite file holding the legacy schema (from tests/data). */
static bool make_legacy_db(const char *file)
{
    FILE *f = fopen("tests/data/legacy_schema.sqlite.sql", "r");
    if (!f)
        return false;
    static char ddl[65536];
    size_t n = fread(ddl, 1, sizeof ddl - 1, f);
    fclose(f);
    ddl[n] = '\0';
    sqlite3 *db;
    if (sqlite3_open(file, &db) != SQLITE_OK)
        return false;
    bool ok = sqlite3_exec(db, ddl, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

static int64_t count(const char *file, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_open(file, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

/* An active voice call with a transcript, a booking and a customer. */
static bool make_call(struct store *s, struct arena *a, char conv_id[37])
{
    struct err e;
    struct customer cu;
    bool created;
    if (dom_customer_for_phone(s, "+14155550123", "Ana", a, &cu, &created, &e) < 0)
        return false;
    struct conversation c;
    int64_t t0 = time_now_us() - 120 * TIME_US_PER_SEC;
    if (dom_conv_open(s, "voice", cu.id, t0, NULL, "{\"session_id\":\"call-42\"}", a, &c, &e) <
        0)
        return false;
    memcpy(conv_id, c.id, 37);
    struct msg_voice v = {.duration_seconds = 95.4,
                          .transcript_segments = "[]",
                          .function_calls = "[{\"name\":\"book_appointment\",\"args\":{},"
                                            "\"result\":{\"success\":true}}]",
                          .interruption_count = 2,
                          .audio_quality_score = -1};
    struct message m = {0};
    memcpy(m.conversation_id, c.id, 37);
    m.channel = "voice";
    m.direction = "inbound";
    m.content = "Customer: I'd like to book Botox on Friday.\nAssistant: You're booked!";
    m.sent_at = t0;
    m.voice = &v;
    if (dom_msg_append(s, &m, a, &e) < 0)
        return false;
    return dom_event_record(s, c.id, "function_called",
                            "{\"function\":\"book_appointment\",\"result\":{\"success\":true}}",
                            m.id, t0 + TIME_US_PER_SEC, &e) == 0;
}

TEST(outbox_then_delivery)
{
    char main_db[128], legacy_db[128], url[160];
    path(main_db, sizeof main_db, "main.db");
    path(legacy_db, sizeof legacy_db, "legacy.db");
    snprintf(url, sizeof url, "sqlite:%s", legacy_db);
    CHECK(make_legacy_db(legacy_db));
    struct err e;
    struct store *s = store_open(main_db, &e);
    CHECK(s);
    int from, to;
    CHECK(store_migrate(s, &from, &to, &e) == 0);
    struct arena *a = arena_new(1 << 16, 0);
    char conv[37];
    CHECK(make_call(s, a, conv));
    memset(&dual, 0, sizeof dual); /* the hook without the worker thread: drained by hand */
    dual.s = s;
    dom_set_voice_final_hook(on_voice_final, &dual);
    bool done = false;
    CHECK(dom_voice_finalize(s, conv, 0, a, &done, &e) == 0 && done);
    CHECK(dom_voice_finalize(s, conv, 0, a, &done, &e) == 0 && !done); /* exactly once */
    int64_t pending, oldest;
    CHECK(store_outbox_pending(s, &pending, &oldest, &e) == 0);
    CHECK_INT(pending, 1);
    CHECK_INT(count(legacy_db, "SELECT count(*) FROM call_sessions"), 0);

    int delivered, failed;
    CHECK(legacy_outbox_drain(s, "sqlite:/nonexistent/dir/legacy.db", &delivered, &failed, &e) ==
          0);
    CHECK_INT(delivered, 0);
    CHECK_INT(failed, 1);
    CHECK_INT(count(main_db, "SELECT attempts FROM legacy_outbox"), 1);
    CHECK(count(main_db, "SELECT next_attempt_at > strftime('%s','now') * 1000000 FROM "
                         "legacy_outbox") == 1);
    /* the call itself is complete and scored whatever the legacy side does */
    struct conversation c;
    CHECK(store_conv_get(s, conv, a, &c, &e) == 0);
    CHECK_STR(c.status, "completed");
    CHECK(c.satisfaction_score >= 1);

    /* due again: deliver it */
    sqlite3 *db;
    CHECK(sqlite3_open(main_db, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE legacy_outbox SET next_attempt_at = 0", NULL, NULL, NULL) ==
          SQLITE_OK);
    sqlite3_close(db);
    CHECK(legacy_outbox_drain(s, url, &delivered, &failed, &e) == 0);
    CHECK_INT(delivered, 1);
    CHECK_INT(failed, 0);
    CHECK_INT(count(legacy_db, "SELECT count(*) FROM call_sessions WHERE session_id = 'call-42' "
                               "AND outcome = 'booked' AND duration_seconds = 95 AND "
                               "customer_interruptions = 2 AND function_calls_made = 1 AND "
                               "transcript LIKE 'Customer: I''d like%'"),
              1);
    CHECK_INT(count(legacy_db, "SELECT count(*) FROM call_events"), 1);
    CHECK_INT(count(main_db, "SELECT count(*) FROM legacy_map WHERE origin = 'dual_write'"), 1);
    CHECK_INT(count(main_db, "SELECT count(*) FROM legacy_outbox WHERE delivered_at IS NULL"), 0);

    /* legacy-verify agrees with what dual write produced */
    FILE *out = fopen("/dev/null", "w");
    struct legacy_opts o = {.from = url, .out = out, .log = out};
    int status = legacy_verify(s, &o);
    fclose(out);
    CHECK_INT(status, 0);
    dom_set_voice_final_hook(NULL, NULL);
    arena_free(a);
    store_close(s);
}

TEST(same_database_is_atomic)
{
    char main_db[128];
    path(main_db, sizeof main_db, "same.db");
    struct err e;
    struct store *s = store_open(main_db, &e);
    CHECK(s);
    int from, to;
    CHECK(store_migrate(s, &from, &to, &e) == 0);
    /* the legacy call tables live in our database (their customer ids are ours) */
    sqlite3 *ddl;
    CHECK(sqlite3_open(main_db, &ddl) == SQLITE_OK);
    CHECK(sqlite3_exec(ddl,
                       "CREATE TABLE call_sessions (id INTEGER NOT NULL PRIMARY KEY, customer_id "
                       "INTEGER, session_id VARCHAR(255) NOT NULL UNIQUE, phone_number VARCHAR(20), "
                       "started_at DATETIME, ended_at DATETIME, duration_seconds INTEGER, "
                       "transcript TEXT, recording_url VARCHAR(500), satisfaction_score FLOAT, "
                       "sentiment VARCHAR(50), outcome VARCHAR(50), customer_interruptions "
                       "INTEGER, ai_clarifications_needed INTEGER, function_calls_made INTEGER, "
                       "escalated BOOLEAN, escalation_reason TEXT); "
                       "CREATE TABLE call_events (id INTEGER NOT NULL PRIMARY KEY, call_session_id "
                       "INTEGER NOT NULL, event_type VARCHAR(100) NOT NULL, timestamp DATETIME, "
                       "data JSON)",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(ddl);
    struct arena *a = arena_new(1 << 16, 0);
    char conv[37];
    CHECK(make_call(s, a, conv));
    memset(&dual, 0, sizeof dual);
    dual.s = s;
    dual.same_database = true;
    dom_set_voice_final_hook(on_voice_final, &dual);
    bool done = false;
    CHECK(dom_voice_finalize(s, conv, 0, a, &done, &e) == 0 && done);
    CHECK_INT(count(main_db, "SELECT count(*) FROM call_sessions"), 1);
    CHECK_INT(count(main_db, "SELECT count(*) FROM legacy_outbox"), 0);

    /* a legacy write that fails takes the finalisation back with it: nothing half done */
    char conv2[37];
    CHECK(make_call(s, a, conv2));
    sqlite3 *db;
    CHECK(sqlite3_open(main_db, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "DROP TABLE call_events", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK(dom_voice_finalize(s, conv2, 0, a, &done, &e) < 0);
    struct conversation c;
    CHECK(store_conv_get(s, conv2, a, &c, &e) == 0);
    CHECK_STR(c.status, "active");
    CHECK_INT(count(main_db, "SELECT count(*) FROM call_sessions"), 1);
    dom_set_voice_final_hook(NULL, NULL);
    arena_free(a);
    store_close(s);
}

TEST(outcome_words)
{
    CHECK_STR(legacy_outcome_word("appointment_scheduled"), "booked");
    CHECK_STR(legacy_outcome_word("info_request"), "info_only");
    CHECK_STR(legacy_outcome_word("unresolved"), "browsing");
    CHECK_STR(legacy_outcome_word("complaint"), "browsing");
    CHECK(legacy_outcome_word(NULL) == NULL);
    CHECK(legacy_outcome_word("sold") == NULL);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/sb-dualwrite-XXXXXX");
    if (!mkdtemp(dir))
        abort();
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    setup();
    static const struct test_case cases[] = {T(outbox_then_delivery), T(same_database_is_atomic),
                                             T(outcome_words)};
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int f = 0;
        cases[i].fn(&f);
        printf("%s %s/%s\n", f ? "FAIL" : "PASS", __FILE__, cases[i].name);
        f ? failed++ : passed++;
    }
    teardown();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
