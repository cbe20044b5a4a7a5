/*
 * test_ids.c - unit tests for src/core/ids.c: UUIDv7, randomness, SHA-256, base64url, ct_equal.
 *
 * Covers: uuid_v7's shape (8-4-4-4-12 lower-case hex, version nibble 7, RFC 9562 variant 10xx,
 * the 48-bit millisecond time first), ordering of ids by time across different milliseconds,
 * uniqueness within one millisecond, the uuid_is_valid table, uuid_lower; base64url against the
 * RFC 4648 vectors, decoding with and without padding, the standard alphabet accepted, invalid
 * characters rejected, and round trips of every length 0..100; sha256_hex known vectors;
 * ct_equal; random_bytes. The .c file is included (ids.o is left out of this link).
 */
#include "../../../src/core/ids.c"
#include "../testlib.h"

#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Checks the text form of a v7 id; returns a description of the first problem or NULL. */
static const char *v7_problem(const char *u)
{
    if (strlen(u) != UUID_STR_LEN)
        return "length";
    for (int i = 0; i < UUID_STR_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? u[i] != '-' : !is_lower_hex(u[i]))
            return "not lower-case hex with dashes at 8, 13, 18, 23";
    }
    if (u[14] != '7')
        return "version nibble is not 7";
    if (!strchr("89ab", u[19]))
        return "variant is not 10xx";
    if (!uuid_is_valid(u))
        return "uuid_is_valid rejects it";
    return NULL;
}

TEST(v7_format)
{
    static const int64_t times[] = {0, 1, 1000, INT64_C(1762571910730807),
                                    INT64_C(253402300799999999)};
    for (size_t i = 0; i < COUNT(times); i++) {
        for (int k = 0; k < 200; k++) {
            char u[UUID_STR_LEN + 1];
            memset(u, 'X', sizeof u);
            uuid_v7(times[i], u);
            const char *p = v7_problem(u);
            if (p)
                fprintf(stderr, "  %s: %s\n", u, p);
            CHECK(p == NULL);
        }
    }
}

/* The first 48 bits are the Unix time in milliseconds. */
TEST(v7_time_prefix)
{
    char u[UUID_STR_LEN + 1];
    uuid_v7(INT64_C(1762571910730807), u); /* 1762571910730 ms = 0x019a6178fe4a */
    CHECK(strncmp(u, "019a6178-fe4a-7", 15) == 0);
    uuid_v7(1000, u); /* 1 ms */
    CHECK(strncmp(u, "00000000-0001-7", 15) == 0);
    uuid_v7(999, u); /* still 0 ms */
    CHECK(strncmp(u, "00000000-0000-7", 15) == 0);

    /* t = 0 means now. */
    int64_t before = time_now_us() / 1000;
    uuid_v7(0, u);
    int64_t after = time_now_us() / 1000;
    char hex[13];
    memcpy(hex, u, 8);
    memcpy(hex + 8, u + 9, 4);
    hex[12] = '\0';
    long long ms = strtoll(hex, NULL, 16);
    CHECK(ms >= before && ms <= after);
}

/* Ids of a later millisecond always sort after those of an earlier one, as strings. */
TEST(v7_ordering)
{
    int64_t t = INT64_C(1762571910730807);
    char prev[UUID_STR_LEN + 1];
    uuid_v7(t, prev);
    for (int i = 1; i <= 5000; i++) {
        char cur[UUID_STR_LEN + 1];
        int64_t ti = t + (int64_t)i * 1000; /* one millisecond apart */
        uuid_v7(ti, cur);
        if (strcmp(prev, cur) >= 0)
            fprintf(stderr, "  %s !< %s\n", prev, cur);
        CHECK(strcmp(prev, cur) < 0);
        memcpy(prev, cur, sizeof cur);
    }
    /* Far apart, too. */
    char a[UUID_STR_LEN + 1], b[UUID_STR_LEN + 1];
    uuid_v7(INT64_C(946684800000000), a);   /* 2000 */
    uuid_v7(INT64_C(4102444800000000), b);  /* 2100 */
    CHECK(strcmp(a, b) < 0);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The random part keeps ids of the same millisecond distinct. */
TEST(v7_unique_within_ms)
{
    enum { N = 2000 };
    static char ids[N][UUID_STR_LEN + 1];
    for (int i = 0; i < N; i++)
        uuid_v7(INT64_C(1762571910730000), ids[i]);
    qsort(ids, N, sizeof ids[0], cmp_id);
    for (int i = 1; i < N; i++)
        CHECK(strcmp(ids[i - 1], ids[i]) != 0);
}

TEST(uuid_is_valid_table)
{
    static const struct {
        const char *s;
        bool valid;
    } v[] = {
        {"0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091", true},
        {"0199A0B1-6C1E-7D2F-8A3B-4C5D6E7F8091", true},
        {"00000000-0000-0000-0000-000000000000", true},
        {"ffffffff-ffff-ffff-ffff-ffffffffffff", true},
        {"550e8400-e29b-41d4-a716-446655440000", true}, /* v4 is a UUID too */
        {"", false},
        {"0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f809", false},   /* 35 chars */
        {"0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f80911", false}, /* 37 chars */
        {"0199a0b16c1e7d2f8a3b4c5d6e7f8091", false},      /* no dashes */
        {"0199a0b1-6c1e-7d2f-8a3b4c5d6e7f8091-", false},  /* dash misplaced */
        {"0199a0b1_6c1e-7d2f-8a3b-4c5d6e7f8091", false},
        {"0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f809g", false},
        {"{0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091}", false},
        {" 0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091", false},
        {"0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091 ", false},
        {"urn:uuid:0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091", false},
        {"0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f80\xC3\xA9", false},
        {"../../etc/passwd-aaaa-aaaa-aaaaaaaaaaaa", false},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        if (uuid_is_valid(v[i].s) != v[i].valid)
            fprintf(stderr, "  \"%s\"\n", v[i].s);
        CHECK(uuid_is_valid(v[i].s) == v[i].valid);
    }
    CHECK(!uuid_is_valid(NULL));
}

TEST(uuid_lower_copies)
{
    char out[UUID_STR_LEN + 1];
    uuid_lower("0199A0B1-6C1E-7D2F-8A3B-4C5D6E7F8091", out);
    CHECK_STR(out, "0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091");
    uuid_lower("0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091", out);
    CHECK_STR(out, "0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091");
}

/* RFC 4648 section 10, in the URL alphabet and without padding. */
TEST(base64url_rfc4648_vectors)
{
    static const struct {
        const char *in, *out;
    } v[] = {
        {"", ""},          {"f", "Zg"},           {"fo", "Zm8"},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        char out[32];
        memset(out, 'X', sizeof out);
        size_t n = base64url_encode(v[i].in, strlen(v[i].in), out);
        CHECK_INT(n, strlen(v[i].out));
        CHECK_STR(out, v[i].out);
        unsigned char back[32];
        long m = base64url_decode(v[i].out, strlen(v[i].out), back);
        CHECK_INT(m, strlen(v[i].in));
        CHECK(memcmp(back, v[i].in, (size_t)m) == 0);
    }
    /* The two URL-safe characters. */
    static const unsigned char hi[] = {0xFB, 0xFF, 0xBF};
    char out[8];
    base64url_encode(hi, 3, out);
    CHECK_STR(out, "-_-_");
    base64url_encode(hi, 2, out);
    CHECK_STR(out, "-_8");
}

TEST(base64url_decode_table)
{
    static const struct {
        const char *in;
        long want_len; /* -1 = rejected */
        const char *want;
    } v[] = {
        {"Zg==", 1, "f"},
        {"Zg=", 1, "f"},
        {"Zg", 1, "f"},
        {"Zm8=", 2, "fo"},
        {"Zm9vYmFy", 6, "foobar"},
        {"", 0, ""},
        {"====", 0, ""},
        {"-_8", 2, "\xFB\xFF"},
        {"+/8=", 2, "\xFB\xFF"}, /* the standard alphabet is read too */
        {"Zm9v!", -1, NULL},
        {"Zm 9v", -1, NULL},
        {"Zm9v\n", -1, NULL},
        {"Zm=9v", -1, NULL}, /* padding only at the end */
        {"=Zm9v", -1, NULL},
        {"Zm9v.", -1, NULL},
        {"Zm9v\xC3\xA9", -1, NULL},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        unsigned char out[16];
        long n = base64url_decode(v[i].in, strlen(v[i].in), out);
        if (n != v[i].want_len)
            fprintf(stderr, "  \"%s\": %ld, want %ld\n", v[i].in, n, v[i].want_len);
        CHECK_INT(n, v[i].want_len);
        if (n > 0)
            CHECK(memcmp(out, v[i].want, (size_t)n) == 0);
    }
    /* Only len bytes are read. */
    unsigned char out[8];
    CHECK_INT(base64url_decode("Zm9v!!!", 4, out), 3);
}

TEST(base64url_round_trip_all_lengths)
{
    unsigned char in[100], back[100];
    char enc[4 * 34 + 1];
    for (size_t n = 0; n <= sizeof in; n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)(i * 151 + n * 7 + 3);
        size_t len = base64url_encode(in, n, enc);
        CHECK_INT(len, (n * 4 + 2) / 3); /* no padding */
        CHECK_INT(strlen(enc), len);
        CHECK(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              len);
        CHECK_INT(base64url_decode(enc, len, back), (long)n);
        CHECK(memcmp(in, back, n) == 0);
        /* With '=' padding added, the same bytes come back. */
        char padded[sizeof enc + 3];
        memcpy(padded, enc, len);
        size_t plen = len;
        while (plen % 4)
            padded[plen++] = '=';
        CHECK_INT(base64url_decode(padded, plen, back), (long)n);
        CHECK(memcmp(in, back, n) == 0);
    }
}

TEST(sha256_known_vectors)
{
    char out[65];
    sha256_hex("abc", 3, out);
    CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("", 0, out);
    CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(two_blocks, strlen(two_blocks), out);
    CHECK_STR(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Bytes, not strings: a NUL inside counts. */
    char with_nul[65];
    sha256_hex("a\0b", 3, with_nul);
    sha256_hex("a", 1, out);
    CHECK(strcmp(out, with_nul) != 0);
}

TEST(ct_equal_table)
{
    CHECK(ct_equal("abcdef", "abcdef", 6));
    CHECK(!ct_equal("abcdef", "abcdeg", 6)); /* last byte */
    CHECK(!ct_equal("xbcdef", "abcdef", 6)); /* first byte */
    CHECK(ct_equal("abc", "abd", 2));        /* only n bytes compared */
    CHECK(ct_equal("a", "b", 0));
    unsigned char x[64], y[64];
    memset(x, 0, sizeof x);
    memset(y, 0, sizeof y);
    CHECK(ct_equal(x, y, sizeof x));
    y[63] = 0x80;
    CHECK(!ct_equal(x, y, sizeof x));
}

TEST(random_bytes_differ)
{
    unsigned char a[32], b[32];
    CHECK_INT(random_bytes(a, sizeof a), 0);
    CHECK_INT(random_bytes(b, sizeof b), 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK_INT(random_bytes(a, 0), 0);
}

TEST_MAIN(T(v7_format), T(v7_time_prefix), T(v7_ordering), T(v7_unique_within_ms),
          T(uuid_is_valid_table), T(uuid_lower_copies), T(base64url_rfc4648_vectors),
          T(base64url_decode_table), T(base64url_round_trip_all_lengths), T(sha256_known_vectors),
          T(ct_equal_table), T(random_bytes_differ))
