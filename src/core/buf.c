/*
 * buf.c - bounded growable buffer (see buf.h). Layer: core; one owner at a time.
 */
#include "core/buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void buf_init(struct buf *b, size_t hint, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : SIZE_MAX / 2;
    b->failed = false;
    if (hint)
        buf_grow(b, hint);
}

void buf_release(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_clear(struct buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

bool buf_grow(struct buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    if (b->len + n + 1 > b->max + 1 || b->len + n < b->len) {
        b->failed = true;
        return false;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = true;
        return false;
    }
    d[b->len] = '\0'; /* a fresh allocation is a string too (buf.h) */
    b->data = d;
    b->cap = cap;
    return true;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
    if (!buf_grow(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_addc(struct buf *b, char c)
{
    if (!buf_grow(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        buf_add(b, tmp, (size_t)n);
        return;
    }
    if (!buf_grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_add_i64(struct buf *b, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    buf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* When v * 10^decimals lies within a quarter of an integer r (and below 2^50, where the product's
 * rounding error is under 1/16), the exact value lies within 5/16 of r, so correct rounding, which
 * printf does, gives r too: r's digits are printed directly. Ties and large or non-finite values
 * take printf. */
size_t fmt_fixed(char *out, size_t cap, double v, int decimals)
{
    static const double SCALE[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
    static const uint64_t USCALE[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (decimals >= 0 && decimals <= 6) {
        double x = fabs(v) * SCALE[decimals];
        double r = nearbyint(x);
        if (x < 1e15 && fabs(x - r) < 0.25) { /* (false for NaN) */
            uint64_t u = (uint64_t)r, ip = u / USCALE[decimals], fp = u % USCALE[decimals];
            char tmp[32];
            char *p = tmp + sizeof tmp;
            for (int i = 0; i < decimals; i++, fp /= 10)
                *--p = (char)('0' + fp % 10);
            if (decimals)
                *--p = '.';
            do
                *--p = (char)('0' + ip % 10);
            while (ip /= 10);
            if (signbit(v))
                *--p = '-';
            size_t n = (size_t)(tmp + sizeof tmp - p);
            if (n >= cap)
                return 0;
            memcpy(out, p, n);
            out[n] = '\0';
            return n;
        }
    }
    int n = snprintf(out, cap, "%.*f", decimals, v);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

void buf_add_fixed(struct buf *b, double v, int decimals)
{
    char tmp[48];
    size_t n = fmt_fixed(tmp, sizeof tmp, v, decimals);
    if (n)
        buf_add(b, tmp, n);
    else
        buf_printf(b, "%.*f", decimals, v);
}

char *buf_take(struct buf *b, size_t *len)
{
    if (b->failed) {
        buf_release(b);
        return NULL;
    }
    if (!b->data && !buf_grow(b, 0))
        return NULL;
    char *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
