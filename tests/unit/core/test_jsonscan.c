/*
 * test_jsonscan.c - core/jsonscan: the same acceptance as jansson, members, compact rewriting.
 *
 * Every case is checked twice: against the answer written here and against jansson itself
 * (json_loadb with JSON_DECODE_ANY), so a case that disagrees with either fails.
 */
#include "../../../src/core/jsonscan.c"

#include "../testlib.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static bool jansson_accepts(const char *s, size_t n)
{
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY, NULL);
    json_decref(v);
    return v != NULL;
}

struct check_case {
    const char *text;
    bool ok;
};

TEST(check_agrees_with_jansson)
{
    static const struct check_case cases[] = {
        {"{}", true}, {"[]", true}, {" \t\r\n{ }\n", true}, {"null", true}, {"true", true},
        {"false", true}, {"0", true}, {"-0", true}, {"12", true}, {"\"x\"", true},
        {"{\"a\": [1, 2.5e3, -0.0, {\"b\": null}], \"c\": \"\\u00e9\\n\"}", true},
        {"9223372036854775807", true}, {"-9223372036854775808", true},
        {"9223372036854775808", false}, {"-9223372036854775809", false},
        {"12345678901234567890", false}, {"1e308", true}, {"1e309", false}, {"-1e400", false},
        {"1e-400", true}, {"0.5", true}, {"1.", false}, {".5", false}, {"01", false},
        {"-", false}, {"--1", false}, {"+1", false}, {"1e", false}, {"1e+", false},
        {"1E-2", true}, {"0x10", false}, {"NaN", false}, {"Infinity", false}, {"", false},
        {" ", false}, {"{", false}, {"[1,]", false}, {"{\"a\":1,}", false}, {"[1 2]", false},
        {"{\"a\" 1}", false}, {"{a:1}", false}, {"{1:1}", false}, {"'x'", false},
        {"\"\\u0000\"", false}, {"\"\\ud800\"", false}, {"\"\\udc00\"", false},
        {"\"\\ud83d\\ude00\"", true}, {"\"\\ud83d\\u0041\"", false}, {"\"\\x\"", false},
        {"\"\\u12G4\"", false}, {"\"tab\there\"", false}, {"\"\xC3\xA9\"", true},
        {"\"\xC3\"", false}, {"\"\xED\xA0\x80\"", false}, {"\"\xF4\x90\x80\x80\"", false},
        {"\"\\/\"", true}, {"truex", false}, {"true false", false}, {"nul", false},
        {"[true1]", false}, {"{\"a\":1}{}", false}, {"\"\x7F\"", true}, {"{\"a\":1,\"a\":2}", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = cases[i].text;
        bool got = json_check(t, strlen(t)), ref = jansson_accepts(t, strlen(t));
        if (got != cases[i].ok || ref != cases[i].ok)
            fprintf(stderr, "  case %zu '%s': json_check %d, jansson %d, want %d\n", i, t, got,
                    ref, cases[i].ok);
        CHECK(got == cases[i].ok && ref == cases[i].ok);
    }
    /* an embedded NUL ends nothing: it is a byte jansson refuses too */
    CHECK(!json_check("[1]\0", 4) && !jansson_accepts("[1]\0", 4));
    CHECK(!json_check("\"a\0b\"", 5) && !jansson_accepts("\"a\0b\"", 5));
}

/* n nested arrays around `inner`. */
static char *nested(int n, const char *inner)
{
    size_t il = strlen(inner);
    char *s = malloc((size_t)n * 2 + il + 1);
    if (!s)
        return NULL;
    memset(s, '[', (size_t)n);
    memcpy(s + n, inner, il);
    memset(s + n + il, ']', (size_t)n);
    s[(size_t)n * 2 + il] = '\0';
    return s;
}

TEST(depth_limit_is_jansson_s)
{
    static const struct {
        int arrays;
        const char *inner;
    } cases[] = {{2047, "1"}, {2048, ""}, {2048, "1"}, {2049, ""}, {100000, ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = nested(cases[i].arrays, cases[i].inner);
        CHECK(s != NULL);
        bool got = json_check(s, strlen(s)), ref = jansson_accepts(s, strlen(s));
        free(s);
        if (got != ref)
            fprintf(stderr, "  %d arrays around '%s': json_check %d, jansson %d\n",
                    cases[i].arrays, cases[i].inner, got, ref);
        CHECK(got == ref);
    }
}

TEST(member_finds_values)
{
    const char *t = " { \"function\" : \"book\", \"arguments\": {\"date\": \"2024-11-19\", \"n\": [1, "
                    "2]}, \"result\":null } ";
    const char *v;
    size_t n;
    CHECK(json_member(t, strlen(t), "function", &v, &n) == 1);
    CHECK(n == 6 && memcmp(v, "\"book\"", 6) == 0);
    CHECK(json_member(t, strlen(t), "arguments", &v, &n) == 1);
    CHECK(n == 35 && memcmp(v, "{\"date\": \"2024-11-19\", \"n\": [1, 2]}", 35) == 0);
    CHECK(json_member(t, strlen(t), "result", &v, &n) == 1);
    CHECK(n == 4 && memcmp(v, "null", 4) == 0);
    CHECK(json_member(t, strlen(t), "date", &v, &n) == 0); /* only the top level */
    CHECK(json_member("[1]", 3, "a", &v, &n) == -1);
    CHECK(json_member("null", 4, "a", &v, &n) == -1);
    CHECK(json_member("{\"a\":1,\"a\":2}", 13, "a", &v, &n) == -2);
    CHECK(json_member("{\"\\u0061\":1}", 12, "a", &v, &n) == -2);
    CHECK(json_member("{}", 2, "a", &v, &n) == 0);
}

/* json_compact gives jansson's compact dump, or declines. */
static int compact_differs(const char *t, bool want_done)
{
    struct buf b;
    buf_init(&b, 0, 1 << 20);
    bool done = json_compact(&b, t, strlen(t));
    json_t *j = json_loads(t, JSON_DECODE_ANY, NULL);
    char *ref = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int bad = done != want_done || !ref || (done && strcmp(b.data, ref) != 0);
    if (bad)
        fprintf(stderr, "  '%s': done %d (want %d), '%s', jansson '%s'\n", t, done, want_done,
                b.data ? b.data : "", ref ? ref : "(refused)");
    free(ref);
    json_decref(j);
    buf_release(&b);
    return bad;
}

TEST(compact_is_jansson_s_dump)
{
    CHECK(!compact_differs("{ \"a\" : [ 1 , true , null , \"x y\" ] , \"b\" : { } }", true));
    CHECK(!compact_differs("\"  spaces  inside \"", true));
    CHECK(!compact_differs("[\n\t-12, \"\xC3\xA9/\"\r\n]", true));
    CHECK(!compact_differs("{\"z\":1,\"a\":2,\"m\":{\"y\":[],\"b\":{}}}", true)); /* order kept */
    CHECK(!compact_differs("0.77", false));         /* jansson prints 0.77000000000000002 */
    CHECK(!compact_differs("[1e2]", false));
    CHECK(!compact_differs("-0", false));           /* printed 0 */
    CHECK(!compact_differs("\"a\\nb\"", false));    /* escapes are decoded and re-encoded */
    CHECK(!compact_differs("{\"a\":1,\"a\":2}", false)); /* the later value, the earlier place */
    struct buf b;
    buf_init(&b, 0, 1 << 20);
    CHECK(!json_compact(&b, "[1,", 3)); /* not a value */
    CHECK(b.len == 0);
    buf_release(&b);
}

TEST_MAIN(T(check_agrees_with_jansson), T(depth_limit_is_jansson_s), T(member_finds_values),
          T(compact_is_jansson_s_dump))
