/*
 * test_arena.c - unit tests for src/core/arena.c, the per-request region allocator.
 *
 * Covers: every allocation is 16-byte aligned and writable, whatever its size; an arena grows
 * past its first block without disturbing earlier allocations; the limit makes allocation return
 * NULL (also for sizes that would overflow) instead of aborting; strdup/strndup/printf copies;
 * calloc zero-fills reused memory; cleanups run once each, newest first, on reset and on free;
 * reset keeps the arena usable; arena_free(NULL) and arena_reset(NULL) are no-ops. The .c file is
 * included so the test is one translation unit (the Makefile leaves arena.o out of this link).
 */
#include "../../../src/core/arena.c"
#include "../testlib.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

TEST(alloc_alignment)
{
    static const size_t sizes[] = {0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 100, 255, 256, 257, 4096};
    struct arena *a = arena_new(0, 0);
    CHECK(a != NULL);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < COUNT(sizes); i++) {
            unsigned char *p = arena_alloc(a, sizes[i]);
            CHECK(p != NULL);
            CHECK((uintptr_t)p % 16 == 0);
            CHECK((uintptr_t)p % alignof(max_align_t) == 0);
            memset(p, 0xA5, sizes[i]); /* ASan: the whole size is ours */
        }
    }
    /* n = 0 still yields a distinct pointer. */
    void *z1 = arena_alloc(a, 0), *z2 = arena_alloc(a, 0);
    CHECK(z1 && z2 && z1 != z2);
    arena_free(a);
}

/* Many allocations far past the first block: every one keeps its own contents. */
TEST(growth_past_first_block)
{
    struct arena *a = arena_new(256, 0);
    CHECK(a != NULL);
    enum { N = 2000 };
    static unsigned char *ptrs[N];
    for (int i = 0; i < N; i++) {
        size_t n = 1 + (size_t)(i * 37) % 300;
        ptrs[i] = arena_alloc(a, n);
        CHECK(ptrs[i] != NULL);
        memset(ptrs[i], i & 0xFF, n);
    }
    for (int i = 0; i < N; i++) {
        size_t n = 1 + (size_t)(i * 37) % 300;
        for (size_t k = 0; k < n; k++)
            CHECK(ptrs[i][k] == (unsigned char)(i & 0xFF));
    }
    CHECK(arena_used(a) > 256 * 100);

    /* A request bigger than a doubled block gets a block of its own. */
    unsigned char *big = arena_alloc(a, (size_t)17 << 20);
    CHECK(big != NULL);
    big[0] = 1;
    big[((size_t)17 << 20) - 1] = 2;
    CHECK(ptrs[0][0] == 0);
    arena_free(a);
}

/* arena_used counts what was handed out, rounded to the alignment. */
TEST(used_counts_rounded_sizes)
{
    struct arena *a = arena_new(1024, 0);
    CHECK_INT(arena_used(a), 0);
    arena_alloc(a, 1);
    CHECK_INT(arena_used(a), 16);
    arena_alloc(a, 16);
    CHECK_INT(arena_used(a), 32);
    arena_alloc(a, 17);
    CHECK_INT(arena_used(a), 64);
    arena_free(a);
}

TEST(limit_returns_null)
{
    /* First block 256 bytes, at most 1024 bytes in all. */
    struct arena *a = arena_new(256, 1024);
    CHECK(a != NULL);
    int got = 0;
    void *p;
    while ((p = arena_alloc(a, 16)) != NULL) {
        memset(p, 1, 16);
        got++;
        CHECK(got < 1000);
    }
    CHECK(got >= 16);           /* at least the first block was usable */
    CHECK(got * 16 <= 1024);    /* and the limit was respected */
    CHECK(arena_alloc(a, 1) == NULL);
    CHECK(arena_alloc(a, 64) == NULL);
    CHECK(arena_strdup(a, "more") == NULL);
    CHECK(arena_printf(a, "%d", 42) == NULL);
    CHECK(arena_calloc(a, 64) == NULL);
    CHECK_INT(arena_on_free(a, free, NULL), ERR_NOMEM);
    arena_free(a);

    /* One request larger than the whole limit. */
    a = arena_new(256, 4096);
    CHECK(arena_alloc(a, 8192) == NULL);
    CHECK(arena_alloc(a, 16) != NULL); /* the arena still works after a refusal */
    arena_free(a);

    /* Sizes that overflow when rounded up are refused, not wrapped to a small block. */
    a = arena_new(0, 0);
    CHECK(arena_alloc(a, SIZE_MAX) == NULL);
    CHECK(arena_alloc(a, SIZE_MAX - 8) == NULL);
    CHECK(arena_alloc(a, SIZE_MAX / 2) == NULL);
    arena_free(a);
}

TEST(strdup_strndup_printf)
{
    struct arena *a = arena_new(0, 0);
    const char *src = "hello, world";
    char *d = arena_strdup(a, src);
    CHECK_STR(d, src);
    CHECK(d != src);
    CHECK(arena_strdup(a, NULL) == NULL);
    CHECK(arena_strndup(a, NULL, 3) == NULL);
    CHECK_STR(arena_strdup(a, ""), "");
    CHECK_STR(arena_strndup(a, src, 5), "hello");
    CHECK_STR(arena_strndup(a, src, 0), "");
    /* strndup copies exactly n bytes, even past an embedded NUL. */
    char *e = arena_strndup(a, "ab\0cd", 5);
    CHECK(e && memcmp(e, "ab\0cd", 6) == 0);

    CHECK_STR(arena_printf(a, "%s-%d-%05.1f", "x", -7, 3.14159), "x--7-003.1");
    CHECK_STR(arena_printf(a, "%s", ""), "");
    /* Output longer than the first block. */
    char *long_s = arena_printf(a, "%0*d|%s", 5000, 1, "end");
    CHECK(long_s != NULL);
    CHECK_INT(strlen(long_s), 5004);
    CHECK(long_s[4998] == '0' && long_s[4999] == '1');
    CHECK_STR(long_s + 5000, "|end");
    /* Earlier copies survive the growth. */
    CHECK_STR(d, src);
    arena_free(a);
}

TEST(calloc_zeroes_reused_memory)
{
    struct arena *a = arena_new(512, 0);
    unsigned char *p = arena_alloc(a, 400);
    memset(p, 0xFF, 400);
    arena_reset(a);
    unsigned char *q = arena_calloc(a, 400);
    CHECK(q != NULL);
    for (int i = 0; i < 400; i++)
        CHECK(q[i] == 0);
    arena_free(a);
}

/* ---- cleanups -------------------------------------------------------------------------------- */

struct log {
    char text[64];
};

static struct log g_log;

static void note(void *p)
{
    size_t n = strlen(g_log.text);
    if (n + 1 < sizeof g_log.text) {
        g_log.text[n] = *(const char *)p;
        g_log.text[n + 1] = '\0';
    }
}

TEST(cleanups_reverse_order_on_reset)
{
    static const char names[] = "abcde";
    struct arena *a = arena_new(0, 0);
    g_log.text[0] = '\0';
    for (int i = 0; i < 5; i++)
        CHECK_INT(arena_on_free(a, note, (void *)&names[i]), 0);
    CHECK_STR(g_log.text, ""); /* nothing runs before reset/free */
    arena_reset(a);
    CHECK_STR(g_log.text, "edcba");
    /* Each cleanup ran once: a second reset runs nothing. */
    arena_reset(a);
    CHECK_STR(g_log.text, "edcba");
    /* The arena is usable after reset, and new cleanups run on free. */
    g_log.text[0] = '\0';
    CHECK_STR(arena_strdup(a, "again"), "again");
    CHECK_INT(arena_on_free(a, note, (void *)&names[0]), 0);
    CHECK_INT(arena_on_free(a, note, (void *)&names[1]), 0);
    arena_free(a);
    CHECK_STR(g_log.text, "ba");
}

TEST(cleanups_reverse_order_on_free)
{
    static const char names[] = "123";
    struct arena *a = arena_new(256, 0);
    g_log.text[0] = '\0';
    /* Interleave cleanups with enough allocations to span several blocks. */
    for (int i = 0; i < 3; i++) {
        CHECK_INT(arena_on_free(a, note, (void *)&names[i]), 0);
        for (int k = 0; k < 50; k++)
            CHECK(arena_alloc(a, 100) != NULL);
    }
    arena_free(a);
    CHECK_STR(g_log.text, "321");
}

/* A cleanup can release heap memory tied to the arena's lifetime (LeakSanitizer checks it). */
TEST(cleanup_frees_heap_memory)
{
    struct arena *a = arena_new(0, 0);
    char *heap = malloc(1000);
    CHECK(heap != NULL);
    CHECK_INT(arena_on_free(a, free, heap), 0);
    arena_free(a);
}

/* Reset releases the grown blocks and starts again from the first one. */
TEST(reset_reuses_first_block)
{
    struct arena *a = arena_new(1024, 4096);
    void *first = arena_alloc(a, 32);
    for (int i = 0; i < 20; i++)
        arena_alloc(a, 100);
    CHECK(arena_used(a) > 1024);
    arena_reset(a);
    CHECK_INT(arena_used(a), 0);
    CHECK(arena_alloc(a, 32) == first);
    /* The limit counts from scratch again after a reset. */
    for (int round = 0; round < 5; round++) {
        arena_reset(a);
        int got = 0;
        while (arena_alloc(a, 256) != NULL)
            got++;
        CHECK(got >= 4);
    }
    arena_free(a);
}

TEST(null_arena)
{
    arena_free(NULL);
    arena_reset(NULL);
    CHECK(1);
}

TEST_MAIN(T(alloc_alignment), T(growth_past_first_block), T(used_counts_rounded_sizes),
          T(limit_returns_null), T(strdup_strndup_printf), T(calloc_zeroes_reused_memory),
          T(cleanups_reverse_order_on_reset), T(cleanups_reverse_order_on_free),
          T(cleanup_frees_heap_memory), T(reset_reuses_first_block), T(null_arena))
