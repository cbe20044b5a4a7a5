/*
 * form.c - application/x-www-form-urlencoded decoding (see form.h). Layer: http.
 */
#include "http/form.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/ids.h"

#include <string.h>

/* Decodes s[0..n) into a new arena string; *len gets its length. NULL on a bad escape or NUL. */
static char *decode(const char *s, size_t n, struct arena *a, size_t *len, int *rc)
{
    char *out = arena_alloc(a, n + 1);
    if (!out) {
        *rc = ERR_NOMEM;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? hex_digit((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_digit((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *rc = ERR_INVALID;
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            *rc = ERR_INVALID;
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    *len = o;
    return out;
}

int form_decode(const char *s, size_t n, int max_pairs, struct arena *a, struct form *f)
{
    f->n = 0;
    f->pairs = NULL;
    if (!s || n == 0)
        return 0;
    int cap = 0;
    for (size_t i = 0; i < n; i++)
        cap += s[i] == '&';
    cap++;
    f->pairs = arena_alloc(a, sizeof *f->pairs * (size_t)cap);
    if (!f->pairs)
        return ERR_NOMEM;
    size_t start = 0;
    while (start <= n) {
        const char *amp = memchr(s + start, '&', n - start);
        size_t end = amp ? (size_t)(amp - s) : n;
        if (end > start) {
            if (f->n == max_pairs)
                return ERR_INVALID;
            const char *eq = memchr(s + start, '=', end - start);
            size_t name_end = eq ? (size_t)(eq - s) : end;
            size_t vstart = eq ? name_end + 1 : end;
            int rc = 0;
            size_t nlen, vlen;
            char *name = decode(s + start, name_end - start, a, &nlen, &rc);
            char *value = name ? decode(s + vstart, end - vstart, a, &vlen, &rc) : NULL;
            if (!value)
                return rc;
            f->pairs[f->n].name = name;
            f->pairs[f->n].value = value;
            f->pairs[f->n].value_len = vlen;
            f->n++;
        }
        if (!amp)
            break;
        start = end + 1;
    }
    return 0;
}

const char *form_get(const struct form *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->pairs[i].name, name) == 0)
            return f->pairs[i].value;
    return NULL;
}

static void encode(struct buf *b, const char *s)
{
    static const char HEX[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            buf_addc(b, (char)c);
        } else {
            char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
            buf_add(b, e, 3);
        }
    }
}

void form_add(struct buf *b, const char *name, const char *value)
{
    if (b->len)
        buf_addc(b, '&');
    encode(b, name);
    buf_addc(b, '=');
    encode(b, value ? value : "");
}
