/*
 * test_form.c - unit tests for src/http/form.c, application/x-www-form-urlencoded decoding.
 *
 * Covers a table of bodies and the pairs they decode to (or ERR_INVALID): empty body, empty
 * values and names kept (Twilio signs them), a name without '=', '+' as space, %XX in both cases,
 * encoded '&' '=' '+' '%', bad escapes ('%', '%2', '%zz'), a decoded NUL rejected, repeated names
 * kept in order, empty segments skipped; max_pairs; value_len with bytes >= 0x80; form_get
 * returning the first value; and form_add output decoding back to the same pairs. The .c file is
 * included (form.o is left out of this link).
 */
#include "../../../src/http/form.c"
#include "../testlib.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct form_case {
    const char *body;
    int rc;                    /* 0 or ERR_INVALID */
    const char *pairs[6][2];   /* expected {name, value}, in order; {NULL} ends */
};

static const struct form_case cases[] = {
    {"", 0, {{NULL}}},
    {"a=1", 0, {{"a", "1"}, {NULL}}},
    {"a=1&b=", 0, {{"a", "1"}, {"b", ""}, {NULL}}},
    {"a", 0, {{"a", ""}, {NULL}}},
    {"a&b", 0, {{"a", ""}, {"b", ""}, {NULL}}},
    {"=x", 0, {{"", "x"}, {NULL}}},
    {"=", 0, {{"", ""}, {NULL}}},
    {"a=b=c", 0, {{"a", "b=c"}, {NULL}}},
    {"Body=hello+world", 0, {{"Body", "hello world"}, {NULL}}},
    {"Body=+++", 0, {{"Body", "   "}, {NULL}}},
    {"From=%2B14155550100", 0, {{"From", "+14155550100"}, {NULL}}},
    {"x=%2b%2B", 0, {{"x", "++"}, {NULL}}},
    {"q=a%26b%3Dc", 0, {{"q", "a&b=c"}, {NULL}}},
    {"q=100%25", 0, {{"q", "100%"}, {NULL}}},
    {"a%20b=c%20d", 0, {{"a b", "c d"}, {NULL}}},
    {"a+b=c", 0, {{"a b", "c"}, {NULL}}},
    {"k=%41%7a%7E", 0, {{"k", "Az~"}, {NULL}}},
    {"Body=Gr%C3%BC%C3%9Fe", 0, {{"Body", "Gr\xC3\xBC\xC3\x9F" "e"}, {NULL}}},
    {"Body=%0D%0Aline", 0, {{"Body", "\r\nline"}, {NULL}}},
    {"a=1&a=2&a=1", 0, {{"a", "1"}, {"a", "2"}, {"a", "1"}, {NULL}}},
    {"b=2&a=1", 0, {{"b", "2"}, {"a", "1"}, {NULL}}}, /* wire order kept */
    {"a=1&&b=2", 0, {{"a", "1"}, {"b", "2"}, {NULL}}},
    {"&a=1&", 0, {{"a", "1"}, {NULL}}},
    {"&&&", 0, {{NULL}}},
    {"FromCity=&FromZip=&To=x", 0, {{"FromCity", ""}, {"FromZip", ""}, {"To", "x"}, {NULL}}},
    /* malformed escapes are errors, not guesses */
    {"a=%", ERR_INVALID, {{NULL}}},
    {"a=%2", ERR_INVALID, {{NULL}}},
    {"a=%zz", ERR_INVALID, {{NULL}}},
    {"a=%g0", ERR_INVALID, {{NULL}}},
    {"a=%0g", ERR_INVALID, {{NULL}}},
    {"a=%%41", ERR_INVALID, {{NULL}}},
    {"%=1", ERR_INVALID, {{NULL}}},
    {"a%2=1", ERR_INVALID, {{NULL}}},
    {"a=1&b=%", ERR_INVALID, {{NULL}}},
    {"a=%2&b=1", ERR_INVALID, {{NULL}}}, /* '%2' then '&' is not an escape */
    {"a=% 41", ERR_INVALID, {{NULL}}},
    /* a decoded NUL byte is refused, in a value or a name */
    {"a=%00", ERR_INVALID, {{NULL}}},
    {"a=x%00y", ERR_INVALID, {{NULL}}},
    {"%00=1", ERR_INVALID, {{NULL}}},
};

TEST(decode_table)
{
    int bad = 0;
    for (size_t i = 0; i < COUNT(cases); i++) {
        const struct form_case *c = &cases[i];
        struct arena *a = arena_new(0, 0);
        struct form f;
        int rc = form_decode(c->body, strlen(c->body), 100, a, &f);
        int want_n = 0;
        while (c->pairs[want_n][0])
            want_n++;
        bool ok = rc == c->rc;
        if (ok && rc == 0) {
            ok = f.n == want_n;
            for (int k = 0; ok && k < want_n; k++)
                ok = strcmp(f.pairs[k].name, c->pairs[k][0]) == 0 &&
                     strcmp(f.pairs[k].value, c->pairs[k][1]) == 0 &&
                     f.pairs[k].value_len == strlen(c->pairs[k][1]);
        }
        if (!ok) {
            fprintf(stderr, "  case %zu \"%s\": rc %d (want %d), %d pairs (want %d)\n", i,
                    c->body, rc, c->rc, rc == 0 ? f.n : -1, want_n);
            for (int k = 0; rc == 0 && k < f.n; k++)
                fprintf(stderr, "    [%s]=[%s]\n", f.pairs[k].name, f.pairs[k].value);
            bad++;
        }
        arena_free(a);
    }
    CHECK_INT(bad, 0);
}

/* Only n bytes are decoded: the body need not be NUL-terminated. */
TEST(decode_uses_length)
{
    struct arena *a = arena_new(0, 0);
    struct form f;
    const char body[] = "a=1&b=2GARBAGE%";
    CHECK_INT(form_decode(body, 7, 10, a, &f), 0);
    CHECK_INT(f.n, 2);
    CHECK_STR(f.pairs[1].name, "b");
    CHECK_STR(f.pairs[1].value, "2");
    /* An escape cut by the length is incomplete. */
    CHECK_INT(form_decode("a=%41", 4, 10, a, &f), ERR_INVALID);
    CHECK_INT(form_decode("a=%41", 5, 10, a, &f), 0);
    CHECK_STR(form_get(&f, "a"), "A");
    arena_free(a);
}

TEST(max_pairs)
{
    struct arena *a = arena_new(0, 0);
    struct form f;
    CHECK_INT(form_decode("a=1&b=2&c=3", 11, 3, a, &f), 0);
    CHECK_INT(f.n, 3);
    CHECK_INT(form_decode("a=1&b=2&c=3&d=4", 15, 3, a, &f), ERR_INVALID);
    CHECK_INT(form_decode("a=1", 3, 1, a, &f), 0);

    /* A large body within the limit. */
    char body[4000];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "%sk%d=v%d", i ? "&" : "", i, i);
    CHECK_INT(form_decode(body, n, 300, a, &f), 0);
    CHECK_INT(f.n, 300);
    CHECK_STR(f.pairs[299].name, "k299");
    CHECK_STR(form_get(&f, "k150"), "v150");
    CHECK_INT(form_decode(body, n, 299, a, &f), ERR_INVALID);
    arena_free(a);
}

/* value_len counts decoded bytes; values are NUL-terminated copies. */
TEST(value_len_and_copies)
{
    struct arena *a = arena_new(0, 0);
    struct form f;
    const char *body = "Body=%E2%82%AC+5&Empty=";
    CHECK_INT(form_decode(body, strlen(body), 10, a, &f), 0);
    CHECK_INT(f.n, 2);
    CHECK_STR(f.pairs[0].value, "\xE2\x82\xAC 5");
    CHECK_INT(f.pairs[0].value_len, 5);
    CHECK(f.pairs[0].value[5] == '\0');
    CHECK_INT(f.pairs[1].value_len, 0);
    CHECK(f.pairs[0].value < body || f.pairs[0].value >= body + strlen(body));
    arena_free(a);
}

TEST(get_first_value)
{
    struct arena *a = arena_new(0, 0);
    struct form f;
    const char *body = "Tag=zeta&From=%2B1&Tag=alpha&Empty=&tag=lower";
    CHECK_INT(form_decode(body, strlen(body), 10, a, &f), 0);
    CHECK_STR(form_get(&f, "Tag"), "zeta");
    CHECK_STR(form_get(&f, "tag"), "lower"); /* names are case-sensitive */
    CHECK_STR(form_get(&f, "From"), "+1");
    CHECK_STR(form_get(&f, "Empty"), "");
    CHECK(form_get(&f, "Missing") == NULL);
    CHECK(form_get(&f, "") == NULL);
    CHECK_INT(form_decode("", 0, 10, a, &f), 0);
    CHECK(form_get(&f, "Tag") == NULL);
    arena_free(a);
}

/* What form_add writes decodes back to the same pairs, whatever the bytes. */
TEST(add_round_trip)
{
    static const char *const pairs[][2] = {
        {"To", "+14155550100"},
        {"Body", "a+b = c & d%  \xE2\x82\xAC\r\n"},
        {"Empty", ""},
        {"Na me", "~-_.!*'()"},
        {"StatusCallback", "https://sb.example.com/webhooks/twilio/status?x=1&y=2"},
    };
    struct buf b;
    buf_init(&b, 0, 0);
    for (size_t i = 0; i < COUNT(pairs); i++)
        form_add(&b, pairs[i][0], pairs[i][1]);
    form_add(&b, "Null", NULL);
    CHECK(buf_ok(&b));
    CHECK(strstr(b.data, "To=%2B14155550100&Body=") == b.data);
    struct arena *a = arena_new(0, 0);
    struct form f;
    int rc = form_decode(b.data, b.len, 10, a, &f);
    buf_release(&b);
    CHECK_INT(rc, 0);
    CHECK_INT(f.n, (int)COUNT(pairs) + 1);
    for (size_t i = 0; i < COUNT(pairs); i++) {
        CHECK_STR(f.pairs[i].name, pairs[i][0]);
        CHECK_STR(f.pairs[i].value, pairs[i][1]);
    }
    CHECK_STR(form_get(&f, "Null"), "");
    arena_free(a);
}

TEST_MAIN(T(decode_table), T(decode_uses_length), T(max_pairs), T(value_len_and_copies),
          T(get_first_value), T(add_round_trip))
