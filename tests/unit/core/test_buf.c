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

TEST_MAIN(T(growth_byte_by_byte), T(growth_in_chunks), T(fresh_buffer_is_a_string), T(max_bound),
          T(printf_short_and_long), T(take_hands_memory_over), T(take_empty_is_empty_string),
          T(take_failed_returns_null), T(add_i64_edges))
