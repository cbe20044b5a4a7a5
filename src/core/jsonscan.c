/*
 * jsonscan.c - checking JSON text, finding a member, rewriting a value compactly (jsonscan.h).
 *
 * Layer: core. One recursive-descent scanner over a byte range; it allocates nothing (a real
 * number's overflow test copies the number to the stack, or to the heap past 256 bytes). Each
 * rule mirrors jansson 2.14's lexer and parser (load.c), so acceptance is the same:
 * - whitespace is space, tab, CR and LF; after the value only whitespace may follow;
 * - strings: no byte below 0x20, escapes \" \\ \/ \b \f \n \r \t \uXXXX, a high surrogate only
 *   as the first half of a pair, no lone low surrogate, no \u0000, valid UTF-8;
 * - numbers: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; without fraction or exponent it is an
 *   integer and must fit in int64, otherwise a real whose strtod value must stay finite;
 * - depth: every value, scalars included, is one level deeper than its container; the top is 1.
 * The differential fuzz target (fuzz/json_check.c) holds it to jansson.
 */
#include "core/jsonscan.h"

#include "core/ids.h"
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What makes jansson's compact dump differ from the text without its whitespace. */
enum {
    REWRITES = 1, /* a real (printed back with 17 digits), an escape (decoded), -0 (printed 0) */
    REPEATED = 2, /* a key given twice (the later value takes the earlier place) */
};

/* Keys remembered per object to find a repeated one; an object with more is not rewritten. */
#define KEYS_TRACKED 16

struct scan {
    const unsigned char *p, *end;
    unsigned flags;
};

static bool value(struct scan *s, int depth);

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The four hex digits after "\u" at s->p, moving past them. */
static bool hex4(struct scan *s, unsigned *out)
{
    if (s->end - s->p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_digit(s->p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    s->p += 4;
    *out = v;
    return true;
}

/* One escape, s->p just past its backslash. */
static bool escape(struct scan *s)
{
    if (s->p >= s->end)
        return false;
    unsigned char c = *s->p++;
    if (c != 'u')
        return c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
               c == 'r' || c == 't';
    unsigned u;
    if (!hex4(s, &u) || u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
        return false;
    if (u < 0xD800 || u > 0xDBFF)
        return true;
    unsigned lo; /* a high surrogate: its low half must follow */
    if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
        return false;
    s->p += 2;
    return hex4(s, &lo) && lo >= 0xDC00 && lo <= 0xDFFF;
}

/* A string, s->p at its opening quote; *escaped tells whether it had escapes. */
static bool string(struct scan *s, bool *escaped)
{
    *escaped = false;
    s->p++;
    while (s->p < s->end) {
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            *escaped = true;
            s->p++;
            if (!escape(s))
                return false;
        } else if (c < 0x80) {
            s->p++;
        } else { /* a run of multi-byte sequences */
            const unsigned char *q = s->p;
            while (q < s->end && *q >= 0x80)
                q++;
            if (!json_utf8_valid((const char *)s->p, (size_t)(q - s->p)))
                return false;
            s->p = q;
        }
    }
    return false;
}

/* Whether the real at p (n bytes, grammar already checked) stays finite, as strtod reads it
 * (the process keeps the C locale). Without an exponent and with fewer than 300 digits before
 * the point it is (below 1e300), which saves strtod for nearly every real. */
static bool real_is_finite(const unsigned char *p, size_t n)
{
    size_t int_digits = 0;
    for (size_t i = 0; i < n && p[i] != '.'; i++) {
        if (p[i] == 'e' || p[i] == 'E') {
            int_digits = SIZE_MAX;
            break;
        }
        int_digits += is_digit(p[i]);
    }
    if (int_digits < 300 && !memchr(p, 'e', n) && !memchr(p, 'E', n))
        return true;
    char stack[256];
    char *copy = n < sizeof stack ? stack : malloc(n + 1);
    if (!copy)
        return false;
    memcpy(copy, p, n);
    copy[n] = '\0';
    errno = 0;
    double v = strtod(copy, NULL);
    bool ok = !(errno == ERANGE && isinf(v));
    if (copy != stack)
        free(copy);
    return ok;
}

static bool number(struct scan *s)
{
    const unsigned char *start = s->p;
    bool negative = *s->p == '-', real = false;
    if (negative)
        s->p++;
    const unsigned char *digits = s->p;
    if (s->p >= s->end || !is_digit(*s->p))
        return false;
    if (*s->p == '0') {
        s->p++;
        if (s->p < s->end && is_digit(*s->p))
            return false; /* no leading zeros */
    } else {
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    size_t n_digits = (size_t)(s->p - digits);
    if (s->p < s->end && *s->p == '.') {
        real = true;
        s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return false;
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        real = true;
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
            return false;
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (real) {
        s->flags |= REWRITES;
        return real_is_finite(start, (size_t)(s->p - start));
    }
    if (negative && n_digits == 1 && *digits == '0')
        s->flags |= REWRITES; /* -0 is dumped as 0 */
    /* within int64: at most 19 digits, and not above the bound */
    const char *bound = negative ? "9223372036854775808" : "9223372036854775807";
    return n_digits < 19 || (n_digits == 19 && memcmp(digits, bound, 19) <= 0);
}

static bool literal(struct scan *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

static bool array(struct scan *s, int depth)
{
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return true;
    }
    for (;;) {
        if (!value(s, depth + 1))
            return false;
        skip_ws(s);
        if (s->p >= s->end)
            return false;
        if (*s->p++ == ']')
            return true;
        if (s->p[-1] != ',')
            return false;
        skip_ws(s);
    }
}

static bool object(struct scan *s, int depth)
{
    struct {
        const unsigned char *p;
        size_t n;
    } keys[KEYS_TRACKED];
    int n_keys = 0;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            return false;
        const unsigned char *key = s->p + 1;
        bool escaped;
        if (!string(s, &escaped))
            return false;
        size_t key_n = (size_t)(s->p - 1 - key);
        if (escaped) {
            s->flags |= REWRITES;
        } else if (n_keys == KEYS_TRACKED) {
            s->flags |= REPEATED; /* too many to tell: treated as if repeated */
        } else {
            for (int i = 0; i < n_keys; i++)
                if (keys[i].n == key_n && memcmp(keys[i].p, key, key_n) == 0)
                    s->flags |= REPEATED;
            keys[n_keys].p = key;
            keys[n_keys++].n = key_n;
        }
        skip_ws(s);
        if (s->p >= s->end || *s->p++ != ':')
            return false;
        skip_ws(s);
        if (!value(s, depth + 1))
            return false;
        skip_ws(s);
        if (s->p >= s->end)
            return false;
        if (*s->p++ == '}')
            return true;
        if (s->p[-1] != ',')
            return false;
        skip_ws(s);
    }
}

/* One value at s->p (no leading whitespace). */
static bool value(struct scan *s, int depth)
{
    if (depth > JSON_SCAN_MAX_DEPTH || s->p >= s->end)
        return false;
    bool escaped;
    switch (*s->p) {
    case '{':
        return object(s, depth);
    case '[':
        return array(s, depth);
    case '"':
        if (!string(s, &escaped))
            return false;
        if (escaped)
            s->flags |= REWRITES;
        return true;
    case 't':
        return literal(s, "true", 4);
    case 'f':
        return literal(s, "false", 5);
    case 'n':
        return literal(s, "null", 4);
    default:
        return (*s->p == '-' || is_digit(*s->p)) && number(s);
    }
}

bool json_check(const char *text, size_t n)
{
    struct scan s = {(const unsigned char *)text, (const unsigned char *)text + n, 0};
    skip_ws(&s);
    if (!value(&s, 1))
        return false;
    skip_ws(&s);
    return s.p == s.end;
}

int json_member(const char *text, size_t n, const char *key, const char **v, size_t *vn)
{
    struct scan s = {(const unsigned char *)text, (const unsigned char *)text + n, 0};
    size_t want = strlen(key);
    int found = 0;
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return -1;
    s.p++;
    skip_ws(&s);
    while (s.p < s.end && *s.p == '"') {
        const unsigned char *k = s.p + 1;
        bool escaped;
        if (!string(&s, &escaped))
            return -2; /* (text was not checked) */
        size_t kn = (size_t)(s.p - 1 - k);
        if (escaped)
            return -2;
        skip_ws(&s);
        if (s.p >= s.end || *s.p++ != ':')
            return -2;
        skip_ws(&s);
        const unsigned char *start = s.p;
        if (!value(&s, 2))
            return -2;
        if (kn == want && memcmp(k, key, want) == 0) {
            if (found)
                return -2;
            found = 1;
            *v = (const char *)start;
            *vn = (size_t)(s.p - start);
        }
        skip_ws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            skip_ws(&s);
        }
    }
    return found;
}

bool json_compact(struct buf *b, const char *v, size_t vn)
{
    struct scan s = {(const unsigned char *)v, (const unsigned char *)v + vn, 0};
    if (!value(&s, 1) || s.flags)
        return false;
    if (!buf_grow(b, vn))
        return false;
    const char *end = (const char *)s.p, *run = v;
    bool in_string = false; /* no escapes here, so every quote opens or closes a string */
    for (const char *p = v; p < end; p++) {
        if (*p == '"') {
            in_string = !in_string;
        } else if (!in_string && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
            buf_add(b, run, (size_t)(p - run));
            run = p + 1;
        }
    }
    buf_add(b, run, (size_t)(end - run));
    return true;
}
