/*
 * testlib.h - the unit test runner: a table of named cases, one process per test file.
 *
 * Each test file defines its cases with TEST(name), lists them in TEST_MAIN(...), and is built
 * into its own executable under the sanitizer build. A case fails on its first failed CHECK;
 * the runner prints one line per case and ends with "N passed, N failed", which the top-level
 * test script adds up. Unit tests may #include the .c file under test to reach its statics.
 */
#ifndef SB_TESTLIB_H
#define SB_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(int *failed);
};

#define TEST(name) static void name(int *test_failed_)

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);         \
            *test_failed_ = 1;                                                                 \
            return;                                                                            \
        }                                                                                      \
    } while (0)

#define CHECK_STR(got, want)                                                                   \
    do {                                                                                       \
        const char *g_ = (got), *w_ = (want);                                                  \
        if (!((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0))) {              \
            fprintf(stderr, "  %s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,          \
                    g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                   \
            *test_failed_ = 1;                                                                 \
            return;                                                                            \
        }                                                                                      \
    } while (0)

#define CHECK_INT(got, want)                                                                   \
    do {                                                                                       \
        long long g_ = (long long)(got), w_ = (long long)(want);                               \
        if (g_ != w_) {                                                                        \
            fprintf(stderr, "  %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, g_,   \
                    w_);                                                                       \
            *test_failed_ = 1;                                                                 \
            return;                                                                            \
        }                                                                                      \
    } while (0)

#define T(name) {#name, name}

#define TEST_MAIN(...)                                                                         \
    int main(void)                                                                             \
    {                                                                                          \
        static const struct test_case cases_[] = {__VA_ARGS__};                                \
        int passed = 0, failed = 0;                                                            \
        for (size_t i = 0; i < sizeof cases_ / sizeof cases_[0]; i++) {                        \
            int f = 0;                                                                         \
            cases_[i].fn(&f);                                                                  \
            printf("%s %s/%s\n", f ? "FAIL" : "PASS", __FILE__, cases_[i].name);               \
            f ? failed++ : passed++;                                                           \
        }                                                                                      \
        printf("%d passed, %d failed\n", passed, failed);                                      \
        return failed ? 1 : 0;                                                                 \
    }

#endif
