/*
 * test_buf.c - unit tests for src/core/buf.c, the bounded growable byte buffer.
 *
 * Covers: growth from nothing and from a hint keeps contents and the NUL terminator; the maximum
 * is inclusive, going past it sets `failed`, and every later append is ignored until buf_clear;
 * buf_printf short and long (> 256 bytes) output; buf_take hands the heap memory over (also for
 * an empty buffer, which must still be a C string) and returns NULL for a failed buffer;
 * buf_add_i64 over the edge values. The .c file is included (buf.o is left out of this link).
 */
#include "../../../src/core/buf.c"
#include "../testlib.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

TEST(growth_byte_by_byte)
{
    struct buf b;
    buf_init(&b, 0, 0);
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
    for (int i = 0; i < 10000; i++) {
        buf_addc(&b, (char)('a' + i % 26));
        CHECK(b.cap >= b.len + 1);
    }
    CHECK(buf_ok(&b));
    CHECK_INT(b.len, 10000);
    CHECK_INT(strlen(b.data), 10000);
    for (int i = 0; i < 10000; i++)
        CHECK(b.data[i] == (char)('a' + i % 26));
    buf_release(&b);
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
}

TEST(growth_in_chunks)
{
    struct buf b;
    buf_init(&b, 16, 0);
    CHECK(b.cap >= 17);
    static const char chunk[] = "0123456789abcdef0123456789abcdef0123456789abcdef012345678";
    for (int i = 0; i < 500; i++)
        buf_lit(&b, chunk);
    CHECK(buf_ok(&b));
    CHECK_INT(b.len, 500 * (sizeof chunk - 1));
    CHECK(b.data[b.len] == '\0');
    CHECK(memcmp(b.data + 499 * (sizeof chunk - 1), chunk, sizeof chunk) == 0);
    buf_adds(&b, "");
    buf_add(&b, "xyz", 0);
    CHECK_INT(b.len, 500 * (sizeof chunk - 1));
    buf_release(&b);
}

/* buf.h: "The contents are always NUL-terminated", also before the first append. */
TEST(fresh_buffer_is_a_string)
{
    struct buf b;
    buf_init(&b, 64, 0);
    CHECK(b.data != NULL);
    int terminated = b.data[0] == '\0';
    buf_release(&b);
    CHECK(terminated);

    buf_init(&b, 0, 0);
    CHECK(buf_grow(&b, 100));
    terminated = b.data[0] == '\0';
    buf_release(&b);
    CHECK(terminated);
}

TEST(max_bound)
{
    struct buf b;
    buf_init(&b, 0, 10);
    buf_adds(&b, "12345");
    buf_adds(&b, "67890"); /* exactly the maximum */
    CHECK(buf_ok(&b));
    CHECK_STR(b.data, "1234567890");
    CHECK_INT(b.len, 10);
    buf_addc(&b, 'X'); /* one past */
    CHECK(!buf_ok(&b));
    CHECK(b.failed);
    CHECK_STR(b.data, "1234567890");
    buf_release(&b);

    buf_init(&b, 0, 10);
    buf_adds(&b, "12345");
    buf_adds(&b, "678901"); /* would make 11 */
    CHECK(!buf_ok(&b));
    CHECK_STR(b.data, "12345");
    /* Everything after the failure is ignored, even appends that would fit. */
    buf_addc(&b, 'a');
    buf_adds(&b, "b");
    buf_printf(&b, "%d", 7);
    buf_add_i64(&b, 8);
    CHECK(!buf_grow(&b, 1));
    CHECK_STR(b.data, "12345");
    CHECK_INT(b.len, 5);
    /* buf_clear empties the buffer and clears the failure. */
    buf_clear(&b);
    CHECK(buf_ok(&b));
    CHECK_STR(b.data, "");
    buf_adds(&b, "abc");
    CHECK_STR(b.data, "abc");
    buf_release(&b);
}

TEST(printf_short_and_long)
{
    struct buf b;
    buf_init(&b, 0, 0);
    buf_printf(&b, "%s=%d;", "a", 1);
    buf_printf(&b, "%05.2f", 3.14159);
    CHECK_STR(b.data, "a=1;03.14");
    /* Longer than buf_printf's stack buffer. */
    buf_clear(&b);
    buf_printf(&b, "[%0*d]", 1000, 42);
    CHECK_INT(b.len, 1002);
    CHECK(b.data[0] == '[' && b.data[1] == '0' && b.data[999] == '4' && b.data[1000] == '2');
    CHECK_STR(b.data + 1001, "]");
    buf_release(&b);

    /* A long printf over the maximum fails and leaves the contents alone. */
    buf_init(&b, 0, 500);
    buf_adds(&b, "keep");
    buf_printf(&b, "%0*d", 600, 1);
    CHECK(!buf_ok(&b));
    CHECK_STR(b.data, "keep");
    buf_release(&b);
}

TEST(take_hands_memory_over)
{
    struct buf b;
    buf_init(&b, 0, 0);
    buf_adds(&b, "{\"ok\":true}");
    size_t len = 0;
    char *d = buf_take(&b, &len);
    CHECK(d != NULL);
    CHECK_INT(len, 11);
    CHECK_STR(d, "{\"ok\":true}");
    /* b no longer owns the memory and is empty. */
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
    CHECK_INT(b.cap, 0);
    /* b can be used again; the taken memory is independent of it. */
    buf_adds(&b, "second");
    char *d2 = buf_take(&b, NULL);
    CHECK_STR(d2, "second");
    CHECK_STR(d, "{\"ok\":true}");
    free(d);
    free(d2);
}

TEST(take_empty_is_empty_string)
{
    struct buf b;
    buf_init(&b, 0, 0);
    size_t len = 99;
    char *d = buf_take(&b, &len);
    CHECK(d != NULL);
    CHECK_INT(len, 0);
    int terminated = d[0] == '\0';
    free(d);
    CHECK(terminated);

    /* With a hint, nothing appended. */
    buf_init(&b, 128, 0);
    len = 99;
    d = buf_take(&b, &len);
    CHECK(d != NULL);
    CHECK_INT(len, 0);
    terminated = d[0] == '\0';
    free(d);
    CHECK(terminated);
}

TEST(take_failed_returns_null)
{
    struct buf b;
    buf_init(&b, 0, 4);
    buf_adds(&b, "too long");
    size_t len = 77;
    CHECK(buf_take(&b, &len) == NULL);
    CHECK_INT(len, 77); /* untouched */
    CHECK(b.data == NULL); /* released, so nothing leaks */
}

TEST(add_i64_edges)
{
    static const struct {
        int64_t v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {-1, "-1"},
        {1, "1"},
        {9, "9"},
        {10, "10"},
        {-10, "-10"},
        {1762571910730807, "1762571910730807"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
        {INT64_MIN + 1, "-9223372036854775807"},
        {INT32_MAX, "2147483647"},
        {(int64_t)INT32_MIN - 1, "-2147483649"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct buf b;
        buf_init(&b, 0, 0);
        buf_adds(&b, "x");
        buf_add_i64(&b, cases[i].v);
        char want[32];
        snprintf(want, sizeof want, "x%s", cases[i].want);
        if (strcmp(b.data, want) != 0)
            fprintf(stderr, "  case %zu: got %s, want %s\n", i, b.data, want);
        int ok = strcmp(b.data, want) == 0;
        buf_release(&b);
        CHECK(ok);
    }
    /* json_int is the same writer. */
    struct buf b;
    buf_init(&b, 0, 0);
    for (int i = -3; i <= 3; i++) {
        buf_add_i64(&b, i);
        buf_addc(&b, ',');
    }
    CHECK_STR(b.data, "-3,-2,-1,0,1,2,3,");
    buf_release(&b);
}

/* fmt_fixed against printf: exact decimals, ties, halves, tiny, huge, negative zero, NaN and
 * random bit patterns. */
static int fixed_differs(double v, int decimals)
{
    char got[400], want[400];
    size_t n = fmt_fixed(got, sizeof got, v, decimals);
    snprintf(want, sizeof want, "%.*f", decimals, v);
    if (n == strlen(want) && strcmp(got, want) == 0)
        return 0;
    fprintf(stderr, "  %.17g with %d decimals: got %s, want %s\n", v, decimals, got, want);
    return 1;
}

TEST(fixed_matches_printf)
{
    static const double cases[] = {0, -0.0, 1, -1, 0.5, 1.5, 2.5, -2.5, 0.125, 0.0005, 0.00049999,
                                   1e-7, -1e-7, 123.456, 0.1 + 0.2, 1e9 + 0.5, 999999.99995,
                                   1e14, 1.125e14, 1e15, 1e300, -1e300, 4503599627370495.5,
                                   2.675, 1.005, 17.5, 0.375, 9.9995, 9.99949};
    int bad = 0;
    for (size_t i = 0; i < COUNT(cases); i++)
        for (int d = 0; d <= 6; d++)
            bad += fixed_differs(cases[i], d);
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        if (i % 3 == 0) { /* any bit pattern */
            memcpy(&v, &x, sizeof v);
        } else { /* a short decimal, or a step off one */
            v = (double)(int64_t)(x % 2000000001) / (double)(i % 2 ? 1000 : 8);
            if (i % 5 == 0)
                v = nextafter(v, v > 0 ? 0 : 1);
            if (x >> 63)
                v = -v;
        }
        bad += fixed_differs(v, (int)(x % 7));
        if (bad > 5)
            break;
    }
    CHECK(bad == 0);
    char tiny[4];
    CHECK(fmt_fixed(tiny, sizeof tiny, 12.5, 1) == 0); /* does not fit */
    struct buf b;
    buf_init(&b, 0, 0);
    buf_add_fixed(&b, 3.14159, 3);
    buf_addc(&b, '|');
    buf_add_fixed(&b, -1e300, 2);
    char want[400];
    snprintf(want, sizeof want, "%.3f|%.2f", 3.14159, -1e300);
    CHECK_STR(b.data, want);
    buf_release(&b);
}

TEST_MAIN(T(fixed_matches_printf), T(growth_byte_by_byte), T(growth_in_chunks), T(fresh_buffer_is_a_string), T(max_bound),
          T(printf_short_and_long), T(take_hands_memory_over), T(take_empty_is_empty_string),
          T(take_failed_returns_null), T(add_i64_edges))
