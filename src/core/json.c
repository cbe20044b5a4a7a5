/*
 * json.c - one-pass JSON writing (see json.h). Layer: core; pure, thread-safe.
 */
#include "core/json.h"
#include "core/timeutil.h"

#include <math.h>
#include <stdio.h>

static const char HEX[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

bool json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = utf8_len(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

void json_strn(struct buf *b, const char *s, size_t n)
{
    if (!buf_grow(b, n + 2))
        return;
    buf_addc(b, '"');
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t l = utf8_len(p + i, n - i);
            if (l) {
                i += l;
                continue;
            }
        }
        buf_add(b, s + run, i - run);
        switch (c) {
        case '"': buf_lit(b, "\\\""); break;
        case '\\': buf_lit(b, "\\\\"); break;
        case '\n': buf_lit(b, "\\n"); break;
        case '\r': buf_lit(b, "\\r"); break;
        case '\t': buf_lit(b, "\\t"); break;
        case '\b': buf_lit(b, "\\b"); break;
        case '\f': buf_lit(b, "\\f"); break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
                buf_add(b, e, 6);
            } else {
                buf_lit(b, "\xEF\xBF\xBD"); /* invalid UTF-8 byte -> U+FFFD */
            }
        }
        i++;
        run = i;
    }
    buf_add(b, s + run, n - run);
    buf_addc(b, '"');
}

void json_str(struct buf *b, const char *s)
{
    if (!s) {
        buf_lit(b, "null");
        return;
    }
    json_strn(b, s, strlen(s));
}

void json_int_or_null(struct buf *b, int64_t v, bool is_null)
{
    if (is_null)
        buf_lit(b, "null");
    else
        buf_add_i64(b, v);
}

void json_double(struct buf *b, double v)
{
    if (!isfinite(v)) {
        buf_lit(b, "null");
        return;
    }
    char tmp[64];
    if (fabs(v) >= 1e15) { /* beyond fixed notation's useful range */
        int m = snprintf(tmp, sizeof tmp, "%.17g", v);
        buf_add(b, tmp, (size_t)m);
        return;
    }
    size_t n = fmt_fixed(tmp, sizeof tmp, v, 4);
    if (n == 0) {
        buf_lit(b, "null");
        return;
    }
    while (n > 1 && tmp[n - 1] == '0')
        n--;
    if (tmp[n - 1] == '.')
        n--;
    if (n == 2 && tmp[0] == '-' && tmp[1] == '0') {
        tmp[0] = '0';
        n = 1;
    }
    buf_add(b, tmp, (size_t)n);
}

void json_ts(struct buf *b, int64_t t)
{
    if (t == 0) {
        buf_lit(b, "null");
        return;
    }
    char tmp[TIME_RFC3339_LEN + 3];
    tmp[0] = '"';
    time_format(t, tmp + 1);
    tmp[TIME_RFC3339_LEN + 1] = '"';
    buf_add(b, tmp, TIME_RFC3339_LEN + 2);
}

void json_bool(struct buf *b, bool v)
{
    if (v)
        buf_lit(b, "true");
    else
        buf_lit(b, "false");
}

void json_raw(struct buf *b, const char *raw, const char *fallback)
{
    if (raw && *raw)
        buf_adds(b, raw);
    else
        buf_adds(b, fallback);
}
