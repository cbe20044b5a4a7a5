/*
 * fuzz.h - helpers shared by the fuzz targets in fuzz/ (not part of the server).
 *
 * Every target defines LLVMFuzzerTestOneInput() and is built twice: with clang and libFuzzer to
 * fuzz (scripts/fuzz-replay.sh --fuzz), and with the ASan build's compiler and flags plus
 * fuzz/replay_main.c to replay its committed corpus as a normal test. A target checks the
 * invariants of the parser it drives with FUZZ_CHECK, which prints what broke and aborts, so a
 * broken invariant is reported by libFuzzer and by the replay exactly like a sanitizer error.
 * The helpers are static inline, so each target stays one self-contained translation unit.
 */
#ifndef SB_FUZZ_H
#define SB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message naming the target line when cond is false. */
#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz check failed: %s:%d: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* A heap copy of data[0..size) with a NUL after it (the parsers under test take C strings; an
 * embedded NUL simply ends the string). Aborts when out of memory. The caller frees it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0. Written from Unicode
 * Table 3-7 (byte ranges per lead byte) rather than copied from core/json.c, so the two check
 * each other. */
static inline size_t fuzz_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len;
    if (c <= 0x7F)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* True when s[0..n) is well-formed UTF-8. */
static inline bool fuzz_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = fuzz_utf8_seq(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

#endif
