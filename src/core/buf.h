/*
 * buf.h - a bounded, growable byte buffer (the project's strbuf/dynbuf).
 *
 * Layer: core. The memory is on the heap so that a finished response body can be handed to the
 * HTTP library, which frees it (buf_take). Every buffer has a maximum size set at init; growing
 * past it sets the buffer's `failed` flag and further appends are ignored, so callers may write a
 * whole document and test once at the end (buf_ok). The contents are always NUL-terminated.
 */
#ifndef SB_BUF_H
#define SB_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
    char *data;
    size_t len, cap, max;
    bool failed;
};

/* Prepares b with `hint` bytes reserved (0 = none yet) and a hard maximum of `max` bytes. */
void buf_init(struct buf *b, size_t hint, size_t max);

/* Releases the memory; b may be reused after buf_init. */
void buf_release(struct buf *b);

/* Empties the buffer, keeping its memory and clearing the failed flag. */
void buf_clear(struct buf *b);

/* Ensures room for n more bytes; false (and failed set) when over the maximum or out of memory. */
bool buf_grow(struct buf *b, size_t n);

/* Appends n bytes / a NUL-terminated string / one byte / printf output. */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}
/* Appends a string literal without strlen. */
#define buf_lit(b, s) buf_add((b), (s), sizeof(s) - 1)

/* Appends a signed decimal integer. */
void buf_add_i64(struct buf *b, int64_t v);

/* Writes v with `decimals` (0..6) digits after the point into out (cap bytes, NUL-terminated),
 * exactly as snprintf's "%.*f" does, without going through printf in the common case; returns the
 * length, or 0 when it does not fit. */
size_t fmt_fixed(char *out, size_t cap, double v, int decimals);
/* Appends the same. */
void buf_add_fixed(struct buf *b, double v, int decimals);

/* Cuts the contents back to their first len bytes (len <= b->len). */
static inline void buf_truncate(struct buf *b, size_t len)
{
    if (b->data && len <= b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

/* True when no append has failed. */
static inline bool buf_ok(const struct buf *b)
{
    return !b->failed;
}

/* Hands the heap memory to the caller (who frees it with free()) and resets b. *len gets the
 * length. Returns NULL when the buffer failed (b is released then). */
char *buf_take(struct buf *b, size_t *len);

#endif
