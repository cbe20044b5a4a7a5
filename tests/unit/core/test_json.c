/*
 * test_json.c - unit tests for src/core/json.c, the one-pass JSON writer.
 *
 * Covers: the string escaping table (quotes, backslash, the short escapes, other control bytes
 * as \u00XX, DEL and '/' passed through, valid 2/3/4-byte UTF-8 kept, every invalid byte replaced
 * by U+FFFD), json_utf8_valid (overlong forms, surrogates, > U+10FFFF and truncation rejected),
 * json_double formatting, json_ts (0 is null), json_raw's fallback, and that what is written
 * parses with jansson to the intended value. The .c file is included (json.o is left out).
 */
#include "../../../src/core/json.c"
#include "../testlib.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) lit, sizeof(lit) - 1 /* a literal with its length, NUL bytes included */

#define FFFD "\xEF\xBF\xBD"

struct esc_case {
    const char *in;
    size_t in_len;
    const char *want;    /* the exact JSON text written */
    const char *decoded; /* what a JSON parser reads back; NULL = same as in */
    size_t decoded_len;
};

static const struct esc_case esc_cases[] = {
    {S(""), "\"\"", NULL, 0},
    {S("plain text"), "\"plain text\"", NULL, 0},
    {S("he said \"hi\""), "\"he said \\\"hi\\\"\"", NULL, 0},
    {S("C:\\path\\"), "\"C:\\\\path\\\\\"", NULL, 0},
    {S("a/b"), "\"a/b\"", NULL, 0},
    {S("line1\nline2\r\n"), "\"line1\\nline2\\r\\n\"", NULL, 0},
    {S("\t\b\f"), "\"\\t\\b\\f\"", NULL, 0},
    {S("\x01\x02\x1f"), "\"\\u0001\\u0002\\u001f\"", NULL, 0},
    {S("\x0b\x1b"), "\"\\u000b\\u001b\"", NULL, 0},
    {S("nul:\0:end"), "\"nul:\\u0000:end\"", NULL, 0},
    {S("del\x7f"), "\"del\x7f\"", NULL, 0},
    {S(" ~"), "\" ~\"", NULL, 0},
    /* valid multibyte UTF-8 is kept as is */
    {S("caf\xC3\xA9"), "\"caf\xC3\xA9\"", NULL, 0},
    {S("\xE2\x82\xAC 5"), "\"\xE2\x82\xAC 5\"", NULL, 0},
    {S("\xF0\x9F\x98\x80!"), "\"\xF0\x9F\x98\x80!\"", NULL, 0},
    {S("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"", NULL, 0},       /* U+10FFFF */
    {S("\xE2\x80\xA8"), "\"\xE2\x80\xA8\"", NULL, 0},               /* U+2028 is valid JSON */
    {S("\xC2\x80"), "\"\xC2\x80\"", NULL, 0},                       /* U+0080 */
    /* invalid bytes become U+FFFD, one per byte */
    {S("\xFF"), "\"" FFFD "\"", S(FFFD)},
    {S("a\x80" "b"), "\"a" FFFD "b\"", S("a" FFFD "b")},
    {S("end\xC3"), "\"end" FFFD "\"", S("end" FFFD)},                  /* truncated */
    {S("\xE2\x82"), "\"" FFFD FFFD "\"", S(FFFD FFFD)},                /* truncated */
    {S("\xC0\xAF"), "\"" FFFD FFFD "\"", S(FFFD FFFD)},                /* overlong '/' */
    {S("\xE0\x80\xAF"), "\"" FFFD FFFD FFFD "\"", S(FFFD FFFD FFFD)},  /* overlong */
    {S("\xED\xA0\x80"), "\"" FFFD FFFD FFFD "\"", S(FFFD FFFD FFFD)},  /* U+D800 */
    {S("\xF4\x90\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\"", S(FFFD FFFD FFFD FFFD)},
    {S("\xF8\x88\x80\x80\x80"), "\"" FFFD FFFD FFFD FFFD FFFD "\"",
     S(FFFD FFFD FFFD FFFD FFFD)},
    /* an invalid byte next to characters that need escaping */
    {S("\"\xFE\n"), "\"\\\"" FFFD "\\n\"", S("\"" FFFD "\n")},
    {S("\xC3\xA9\xC3"), "\"\xC3\xA9" FFFD "\"", S("\xC3\xA9" FFFD)},
};

TEST(escaping_table)
{
    int bad = 0;
    for (size_t i = 0; i < COUNT(esc_cases); i++) {
        const struct esc_case *c = &esc_cases[i];
        struct buf b;
        buf_init(&b, 0, 0);
        json_strn(&b, c->in, c->in_len);
        if (!buf_ok(&b) || strcmp(b.data, c->want) != 0) {
            fprintf(stderr, "  case %zu: got [%s], want [%s]\n", i, b.data, c->want);
            bad++;
        }
        /* The output is valid JSON that decodes to the input (or its repaired form). */
        json_error_t je;
        json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        const char *want = c->decoded ? c->decoded : c->in;
        size_t want_len = c->decoded ? c->decoded_len : c->in_len;
        if (!json_is_string(j) || json_string_length(j) != want_len ||
            memcmp(json_string_value(j), want, want_len) != 0) {
            fprintf(stderr, "  case %zu: jansson read it back differently (%s)\n", i,
                    j ? "other value" : je.text);
            bad++;
        }
        json_decref(j);
        buf_release(&b);
    }
    CHECK_INT(bad, 0);
}

TEST(json_str_null_and_nul_terminated)
{
    struct buf b;
    buf_init(&b, 0, 0);
    json_str(&b, NULL);
    buf_addc(&b, ',');
    json_str(&b, "x\"y");
    buf_addc(&b, ',');
    json_str(&b, "");
    CHECK_STR(b.data, "null,\"x\\\"y\",\"\"");
    buf_release(&b);
}

TEST(utf8_valid_table)
{
    static const struct {
        const char *s;
        size_t n;
        bool valid;
    } v[] = {
        {S(""), true},
        {S("ascii only \x7f"), true},
        {S("\0"), true},
        {S("\xC2\x80"), true},             /* U+0080, smallest 2-byte */
        {S("\xDF\xBF"), true},             /* U+07FF */
        {S("\xE0\xA0\x80"), true},         /* U+0800, smallest 3-byte */
        {S("\xED\x9F\xBF"), true},         /* U+D7FF, just below the surrogates */
        {S("\xEE\x80\x80"), true},         /* U+E000, just above */
        {S("\xEF\xBF\xBF"), true},         /* U+FFFF */
        {S("\xF0\x90\x80\x80"), true},     /* U+10000, smallest 4-byte */
        {S("\xF4\x8F\xBF\xBF"), true},     /* U+10FFFF, the largest */
        {S("Gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\x91\x8B"), true},
        /* overlong forms */
        {S("\xC0\x80"), false},
        {S("\xC1\xBF"), false},
        {S("\xE0\x80\x80"), false},
        {S("\xE0\x9F\xBF"), false},        /* U+07FF in 3 bytes */
        {S("\xF0\x80\x80\x80"), false},
        {S("\xF0\x8F\xBF\xBF"), false},    /* U+FFFF in 4 bytes */
        /* surrogates */
        {S("\xED\xA0\x80"), false},        /* U+D800 */
        {S("\xED\xBF\xBF"), false},        /* U+DFFF */
        {S("\xED\xA0\xBD\xED\xB8\x80"), false}, /* CESU-8 pair */
        /* beyond U+10FFFF and bytes that never occur */
        {S("\xF4\x90\x80\x80"), false},
        {S("\xF5\x80\x80\x80"), false},
        {S("\xF8\x88\x80\x80\x80"), false},
        {S("\xFE"), false},
        {S("\xFF"), false},
        /* stray continuation, truncation, a lead byte before ASCII */
        {S("\x80"), false},
        {S("abc\xBF"), false},
        {S("\xC3"), false},
        {S("\xE2\x82"), false},
        {S("\xF0\x9F\x98"), false},
        {S("\xC3" "a"), false},
        {S("\xE2\x82" "a"), false},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        if (json_utf8_valid(v[i].s, v[i].n) != v[i].valid)
            fprintf(stderr, "  case %zu: want %s\n", i, v[i].valid ? "valid" : "invalid");
        CHECK(json_utf8_valid(v[i].s, v[i].n) == v[i].valid);
    }
    /* Only n bytes are looked at. */
    CHECK(json_utf8_valid("ok\xFF", 2));
    CHECK(!json_utf8_valid("\xC3\xA9", 1));
}

TEST(double_formatting)
{
    static const struct {
        double v;
        const char *want;
    } v[] = {
        {0.0, "0"},
        {-0.0, "0"},
        {1.0, "1"},
        {10.0, "10"},
        {100.0, "100"},
        {1.5, "1.5"},
        {-2.5, "-2.5"},
        {7.25, "7.25"},
        {0.1, "0.1"},
        {3.14159, "3.1416"},
        {2.00004, "2"},
        {0.00004, "0"},
        {-0.00004, "0"}, /* never "-0" */
        {0.00005, "0.0001"},
        {6.666666666, "6.6667"},
        {1234567.125, "1234567.125"},
        {1e15, "1000000000000000"},
        {NAN, "null"},
        {INFINITY, "null"},
        {-INFINITY, "null"},
    };
    int bad = 0;
    for (size_t i = 0; i < COUNT(v); i++) {
        struct buf b;
        buf_init(&b, 0, 0);
        json_double(&b, v[i].v);
        if (strcmp(b.data, v[i].want) != 0) {
            fprintf(stderr, "  case %zu: got %s, want %s\n", i, b.data, v[i].want);
            bad++;
        }
        /* Always a JSON number (or null) that reads back within the 4-decimal rounding. */
        json_t *j = json_loads(b.data, JSON_DECODE_ANY, NULL);
        if (isfinite(v[i].v)) {
            if (!json_is_number(j) || fabs(json_number_value(j) - v[i].v) > 0.00005 + 1e-9) {
                fprintf(stderr, "  case %zu: %s does not read back as %g\n", i, b.data, v[i].v);
                bad++;
            }
        } else if (!json_is_null(j)) {
            bad++;
        }
        json_decref(j);
        buf_release(&b);
    }
    CHECK_INT(bad, 0);
}

TEST(timestamps)
{
    struct buf b;
    buf_init(&b, 0, 0);
    json_ts(&b, 0);
    CHECK_STR(b.data, "null");
    buf_clear(&b);
    json_ts(&b, INT64_C(1762571910730807));
    CHECK_STR(b.data, "\"2025-11-08T03:18:30.730807Z\"");
    buf_clear(&b);
    json_ts(&b, 1);
    CHECK_STR(b.data, "\"1970-01-01T00:00:00.000001Z\"");
    buf_clear(&b);
    json_ts(&b, -1);
    CHECK_STR(b.data, "\"1969-12-31T23:59:59.999999Z\"");
    buf_release(&b);
}

TEST(raw_and_scalars)
{
    struct buf b;
    buf_init(&b, 0, 0);
    json_raw(&b, NULL, "{}");
    buf_addc(&b, ' ');
    json_raw(&b, "", "[]");
    buf_addc(&b, ' ');
    json_raw(&b, "{\"a\":[1,2]}", "{}");
    buf_addc(&b, ' ');
    json_bool(&b, true);
    buf_addc(&b, ' ');
    json_bool(&b, false);
    buf_addc(&b, ' ');
    json_int(&b, -42);
    buf_addc(&b, ' ');
    json_int_or_null(&b, 7, false);
    buf_addc(&b, ' ');
    json_int_or_null(&b, 7, true);
    CHECK_STR(b.data, "{} [] {\"a\":[1,2]} true false -42 7 null");
    buf_release(&b);
}

/* A whole document the way the API writes one parses, with every value where it was put. */
TEST(document_parses_with_jansson)
{
    struct buf b;
    buf_init(&b, 0, 0);
    buf_lit(&b, "{\"id\":");
    json_str(&b, "0199a0b1-0000-7000-8000-000000000001");
    buf_lit(&b, ",\"name\":");
    json_str(&b, "Zo\xC3\xAB \"Z\" O'Neil\n\x01\xFF");
    buf_lit(&b, ",\"email\":");
    json_str(&b, NULL);
    buf_lit(&b, ",\"score\":");
    json_double(&b, 7.5);
    buf_lit(&b, ",\"count\":");
    json_int(&b, INT64_C(-9007199254740991));
    buf_lit(&b, ",\"at\":");
    json_ts(&b, INT64_C(1762571910730807));
    buf_lit(&b, ",\"done\":");
    json_ts(&b, 0);
    buf_lit(&b, ",\"ok\":");
    json_bool(&b, true);
    buf_lit(&b, ",\"meta\":");
    json_raw(&b, NULL, "{}");
    buf_addc(&b, '}');
    CHECK(buf_ok(&b));

    json_error_t je;
    json_t *j = json_loads(b.data, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        fprintf(stderr, "  %s: %s\n", je.text, b.data);
    buf_release(&b);
    CHECK(j != NULL);
    int ok = json_is_object(j) &&
             strcmp(json_string_value(json_object_get(j, "name")),
                    "Zo\xC3\xAB \"Z\" O'Neil\n\x01" FFFD) == 0 &&
             json_is_null(json_object_get(j, "email")) &&
             json_real_value(json_object_get(j, "score")) == 7.5 &&
             json_integer_value(json_object_get(j, "count")) == INT64_C(-9007199254740991) &&
             strcmp(json_string_value(json_object_get(j, "at")), "2025-11-08T03:18:30.730807Z") ==
                 0 &&
             json_is_null(json_object_get(j, "done")) &&
             json_is_true(json_object_get(j, "ok")) &&
             json_is_object(json_object_get(j, "meta")) && json_object_size(j) == 9;
    json_decref(j);
    CHECK(ok);
}

/* A bounded buffer that fills up while a string is written reports the failure. */
TEST(bounded_buffer_fails_cleanly)
{
    struct buf b;
    buf_init(&b, 0, 8);
    json_str(&b, "this does not fit");
    CHECK(!buf_ok(&b));
    CHECK(buf_take(&b, NULL) == NULL);
}

TEST_MAIN(T(escaping_table), T(json_str_null_and_nul_terminated), T(utf8_valid_table),
          T(double_formatting), T(timestamps), T(raw_and_scalars), T(document_parses_with_jansson),
          T(bounded_buffer_fails_cleanly))
